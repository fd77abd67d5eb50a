import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../agent/test/processes.js';
import { silentLogger } from '../log.js';
import { postJson, startTestBackend, tempDir } from '../test/helpers.js';
import { healthyExample, withAgent } from '../test/payloads.js';
import { openDatabase } from './db.js';
import { checkpointOnWorker } from './wal-checkpoints.js';

/** Samples in the database file alone, as a copy without its WAL shows them: what checkpoints put there. */
function samplesInDatabaseFile(dbPath: string, copyPath: string): number {
  copyFileSync(dbPath, copyPath);
  const copy = new SQLite(copyPath, { readonly: true });
  try {
    return copy.prepare('select count(*) from samples').pluck().get() as number;
  } finally {
    copy.close();
  }
}

describe('WAL checkpoints on a worker thread', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d.path;
  };
  afterEach(async () => {
    for (const d of dirs.splice(0)) await d.remove();
  });

  it('copies acknowledged samples into the database file while the backend runs, with no commit doing it', async () => {
    const path = dir();
    const dbPath = join(path, 'monitor.sqlite');
    const backend = await startTestBackend(dbPath);
    try {
      // Far fewer WAL pages than the writer's own automatic checkpoint waits for.
      for (let i = 0; i < 20; i++) expect((await postJson(`${backend.url}/metrics`, withAgent(healthyExample, `box-${i}`))).status).toBe(200);
      await waitFor('the samples in the database file', () => samplesInDatabaseFile(dbPath, join(path, 'copy.sqlite')) === 20);
    } finally {
      await backend.close();
    }
  });

  it('leaves the writer an automatic checkpoint that bounds the WAL when the worker does not keep up', async () => {
    const dbPath = join(dir(), 'bounded.sqlite');
    const opened = openDatabase(dbPath);
    opened.sqlite.exec('create table t (x text)');
    // A worker that waits far longer than the test: only the writer's own checkpoint can act.
    const checkpoints = checkpointOnWorker(opened.sqlite, 'full', silentLogger, { fallbackPages: 20, everyMs: 3_600_000 });
    try {
      const insert = opened.sqlite.prepare('insert into t (x) values (?)');
      // 300 commits of a page each: 300 pages of WAL without a checkpoint.
      for (let i = 0; i < 300; i++) insert.run('x'.repeat(12_000));
      const pageSize = Number(opened.sqlite.pragma('page_size', { simple: true }));
      expect(statSync(`${dbPath}-wal`).size).toBeLessThan(25 * (pageSize + 24));
    } finally {
      await checkpoints.stop();
    }
    // Stopped, the worker hands the checkpoints back to the writer at SQLite's usual mark.
    expect(opened.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await opened.close();
  });
});
