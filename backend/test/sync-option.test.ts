// --sync full|normal: SQLite's synchronous setting, the one trade of durability for speed.
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson, queryDb, runBackendCli, spawnBackend, startTestBackend, tempDir } from './helpers.js';
import { walFlusherOf } from '../store/db.js';
import { healthyExample } from './payloads.js';

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => dir?.remove());

// PRAGMA synchronous: 1 is NORMAL, 2 is FULL.
describe('--sync', () => {
  it('is FULL unless told otherwise, NORMAL with sync normal, as the connection reads it back', async () => {
    dir = tempDir();
    for (const [sync, expected] of [[undefined, 2], ['full', 2], ['normal', 1]] as const) {
      const backend = await startTestBackend(join(dir.path, `${sync}.sqlite`), {}, sync === undefined ? {} : { sync });
      try {
        expect(backend.database.sqlite.pragma('synchronous', { simple: true })).toBe(expected);
        expect((await postJson(`${backend.url}/metrics`, healthyExample)).status).toBe(200);
      } finally {
        await backend.close();
      }
    }
  });

  it('with normal, flushes the WAL in the background after commits, and lets go of it at close; with full, the commit syncs', async () => {
    dir = tempDir();
    const walFds = (file: string) => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === `${file}-wal`;
      } catch {
        return false; // the directory's own descriptor, gone once read
      }
    }).length;
    const full = await startTestBackend(join(dir.path, 'full.sqlite'), {}, { sync: 'full' });
    expect(walFlusherOf(full.database.sqlite)).toBeUndefined();
    await full.close();

    const file = join(dir.path, 'normal.sqlite');
    const backend = await startTestBackend(file, {}, { sync: 'normal' });
    const flusher = walFlusherOf(backend.database.sqlite)!;
    expect(flusher).toBeDefined();
    // Each burst of commits is followed by a flush, the second as the first.
    for (const sampleId of ['s1', 's2']) {
      const flushed = flusher.nextFlush();
      expect((await postJson(`${backend.url}/metrics`, { ...healthyExample, sample_id: sampleId })).status).toBe(200);
      await flushed;
    }
    // SQLite's own descriptor and the flusher's.
    expect(walFds(file)).toBe(2);
    await backend.close();
    expect(walFds(file)).toBe(0);
    expect(queryDb(file, 'select sample_id from samples order by id')).toEqual([{ sample_id: 's1' }, { sample_id: 's2' }]);
  });

  it('is taken from the command line and from FLEETMON_SYNC, and stores samples either way', async () => {
    dir = tempDir();
    for (const [args, env] of [[['--sync', 'normal'], {}], [[], { FLEETMON_SYNC: 'normal' }], [['--sync', 'full'], {}]] as const) {
      const db = join(dir.path, `${args.join('') || 'env'}.sqlite`);
      const backend = await spawnBackend(['--db', db, ...args], env);
      try {
        expect((await postJson(`${backend.url}/metrics`, healthyExample)).status).toBe(200);
      } finally {
        expect(await backend.stop()).toBe(0);
      }
      expect(queryDb(db, 'select device_id from samples')).toEqual([{ device_id: 'demo-agent' }]);
    }
  });

  it('refuses any other value, naming the option and the values it takes', async () => {
    for (const [args, env] of [[['--sync', 'off'], {}], [[], { FLEETMON_SYNC: 'extra' }]] as const) {
      const { code, output } = await runBackendCli(['--port', '0', ...args], env);
      expect(code).toBe(1);
      expect(output).toContain('--sync');
      expect(output).toMatch(/full, normal/);
    }
  });
});
