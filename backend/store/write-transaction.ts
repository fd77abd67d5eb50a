// Write transactions that take SQLite's write lock up front, wait for another writer without
// blocking the event loop, and report a full disk or a lock held too long as what they are.
import { sql } from 'kysely';
import type { Db } from './db.js';

/** Another writer (a sqlite3 shell, a second backend) held the write lock for longer than we wait. */
export class WriteLockTimeout extends Error {
  constructor(readonly waitedMs: number) {
    super(`the database is locked by another writer (waited ${Math.round(waitedMs)} ms)`);
  }
}

/** SQLite could not grow the file: the disk (or the database's size cap) is full. */
export class StorageFull extends Error {}

const sqliteCode = (err: unknown): string | undefined => (err as { code?: unknown })?.code as string | undefined;

/** How long the connection's own busy handler blocks (synchronously) before BEGIN IMMEDIATE gives up once. */
export const BUSY_TIMEOUT_MS = 20;

export interface WriteOptions {
  /** Longest time to wait for another writer's lock, in ms. */
  lockWaitMs: number;
}

/** The default of --lock-timeout. */
export const DEFAULT_WRITE_OPTIONS: WriteOptions = { lockWaitMs: 5000 };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run `work` in a transaction that holds the write lock from its first statement (BEGIN
 * IMMEDIATE). A deferred BEGIN starts as a reader, and in WAL mode a reader that must upgrade
 * while another connection writes fails at once with SQLITE_BUSY, whatever the busy timeout.
 *
 * While another writer holds the lock, the attempt is repeated with a growing pause; between
 * attempts the connection is free, so readers go on and the event loop never waits longer than
 * BUSY_TIMEOUT_MS. Past `lockWaitMs` it throws WriteLockTimeout, having written nothing.
 */
export async function writeTransaction<T>(db: Db, work: (trx: Db) => Promise<T>, options: WriteOptions = DEFAULT_WRITE_OPTIONS): Promise<T> {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    let began = false;
    try {
      return await db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        began = true;
        try {
          const result = await work(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (err) {
          // SQLite may have rolled back by itself (SQLITE_FULL does); then there is nothing to undo,
          // and the error worth reporting is the first one.
          await sql`rollback`.execute(conn).catch(() => {});
          throw err;
        }
      });
    } catch (err) {
      const code = sqliteCode(err);
      if (code === 'SQLITE_FULL') throw new StorageFull(`the database cannot grow: ${(err as Error).message}`, { cause: err });
      if (began || !code?.startsWith('SQLITE_BUSY')) throw err;
      const waited = performance.now() - started;
      if (waited >= options.lockWaitMs) throw new WriteLockTimeout(waited);
      await pause(Math.min(5 * 2 ** attempt, 200, options.lockWaitMs - waited));
    }
  }
}
