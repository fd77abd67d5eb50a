// WAL checkpoints off the commit path. SQLite's automatic checkpoint runs inside whichever commit
// leaves the WAL past wal_autocheckpoint pages: on the event loop, copying megabytes into the
// database file and syncing it while every request waits. Here a second connection on a worker
// thread runs PASSIVE checkpoints instead, which never wait for the writer nor block it, shortly
// after another connection committed (its data_version says so). Durability does not move: a
// commit is as durable in the WAL as before (synchronous = FULL syncs it at every commit), and a
// checkpoint only copies committed pages on.
//
// The WAL still cannot grow without bound: the writer keeps an automatic checkpoint at a higher
// mark, which fires only when the worker falls behind or is gone (SQLite then works as before).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import type { Logger } from '../log.js';

/** SQLite's default mark (pages) for its automatic checkpoint: where the writer checkpoints again if the worker stops. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

export interface WalCheckpointOptions {
  /** The writer's own automatic checkpoint, in pages: the bound of the WAL should the worker fall behind. */
  fallbackPages: number;
  /** How long after a commit the worker checkpoints, in ms: commits in between go in one checkpoint. */
  everyMs: number;
}

export const DEFAULT_WAL_CHECKPOINTS: WalCheckpointOptions = { fallbackPages: 4 * DEFAULT_AUTOCHECKPOINT_PAGES, everyMs: 200 };

// Plain JavaScript, run by eval: the worker must start the same way from the build and from the
// TypeScript sources the tests run. state[0] set to 1 says stop; waiting on it is the pause.
const workerSource = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const state = new Int32Array(workerData.state);
const db = new Database(workerData.path, { fileMustExist: true });
try {
  db.pragma('synchronous = ' + workerData.synchronous);
  const dataVersion = db.prepare('pragma data_version').pluck();
  const checkpoint = db.prepare('pragma wal_checkpoint(PASSIVE)');
  let seen = dataVersion.get();
  while (Atomics.wait(state, 0, 0, workerData.everyMs) !== 'ok' && Atomics.load(state, 0) === 0) {
    const version = dataVersion.get();
    if (version === seen) continue;
    seen = version;
    try {
      // Frames committed while it copied are left behind; one more round usually takes them, and
      // a checkpoint that finishes between two commits lets the writer start the WAL over.
      for (let round = 0; round < 3; round++) {
        const { busy, log, checkpointed } = checkpoint.get();
        if (busy || checkpointed >= log) break;
      }
    } catch (err) {
      parentPort.postMessage(String(err && err.message));
    }
  }
} finally {
  db.close();
}
`;

export interface WalCheckpoints {
  /** Stop the worker (after the checkpoint it may be running) and give the writer its automatic checkpoint back. */
  stop(): Promise<void>;
}

/**
 * Checkpoint the WAL of `sqlite` (a file database in WAL mode, opened by store/db.ts) on a worker
 * thread from now on; `synchronous` as the writer's, so that a checkpoint syncs as it would have.
 */
export function checkpointOnWorker(sqlite: SQLite.Database, synchronous: 'full' | 'normal', log: Logger, options: WalCheckpointOptions = DEFAULT_WAL_CHECKPOINTS): WalCheckpoints {
  const state = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), path: sqlite.name, synchronous, everyMs: options.everyMs, state: state.buffer },
  });
  // The worker holds nothing a shutdown should wait for.
  worker.unref();
  let stopped = false;
  const exited = new Promise<void>((done) => worker.once('exit', () => done()));
  const fallBack = () => {
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
  };
  worker.on('message', (message: string) => log.warn(`WAL checkpoint failed (tried again after the next commit): ${message}`));
  worker.on('error', (err) => {
    log.error('the WAL checkpoint worker stopped; commits checkpoint the WAL themselves again:', err);
    fallBack();
  });
  sqlite.pragma(`wal_autocheckpoint = ${options.fallbackPages}`);
  return {
    async stop() {
      if (stopped) return exited;
      stopped = true;
      Atomics.store(state, 0, 1);
      Atomics.notify(state, 0);
      await exited;
      fallBack();
    },
  };
}
