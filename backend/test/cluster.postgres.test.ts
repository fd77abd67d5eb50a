// The PostgreSQL test cluster itself, and what a backend on PostgreSQL says about its database.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { POSTGRES_PACKAGE_HINT, findPostgresBin } from './postgres.js';
import { cleanUpAfterEach, onPostgres, postJson, queryDb, spawnBackend, tempDir, testDatabase } from './helpers.js';
import { healthyExample } from './payloads.js';

const t = cleanUpAfterEach();

const installed = findPostgresBin() !== undefined;

describe.skipIf(!installed)(installed ? 'fleetmon-backend on PostgreSQL' : `fleetmon-backend on PostgreSQL: skipped. ${POSTGRES_PACKAGE_HINT}`, () => {
  it('runs in the PostgreSQL project', () => {
    expect(onPostgres).toBe(true);
  });

  it('starts on a postgres:// URL, stores samples there, and never logs the password', async () => {
    t.dir = tempDir();
    const url = await testDatabase(join(t.dir.path, 'monitor.sqlite'));
    const password = new URL(url).password;
    expect(password).not.toBe('');
    const running = (t.backend = await spawnBackend(['--db', url]));
    expect((await postJson(`${running.url}/metrics`, healthyExample)).status).toBe(200);
    expect(queryDb(url, 'select device_id from samples')).toEqual([{ device_id: healthyExample.agent_id }]);
    expect(await (await fetch(`${running.url}/prometheus/self`)).text()).toMatch(/^fleetmon_database_size_bytes [1-9]\d+$/m);
    expect(running.output()).toMatch(/database postgres:\/\/fleetmon:\*\*\*@127\.0\.0\.1:\d+\/fleetmon_/);
    expect(await running.stop()).toBe(0);
    expect(running.output()).not.toContain(password);
  });

  it('refuses to start with a wrong password, saying what to check and without echoing it', async () => {
    t.dir = tempDir();
    const url = new URL(await testDatabase(join(t.dir.path, 'monitor.sqlite')));
    url.password = 'not-the-password';
    await expect(spawnBackend(['--db', url.toString()])).rejects.toThrow(/cannot connect to database postgres:\/\/fleetmon:\*\*\*@.*password authentication failed.*Check the host, port, user, password/s);
    await expect(spawnBackend(['--db', url.toString()])).rejects.not.toThrow(/not-the-password/);
  });
});
