// --sync full|normal: SQLite's synchronous setting, the one trade of durability for speed.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson, queryDb, runBackendCli, spawnBackend, startTestBackend, tempDir } from './helpers.js';
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
