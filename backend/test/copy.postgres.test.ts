// `fleetmon-backend copy`: an installation that ran on SQLite moves to PostgreSQL through the real
// CLI, and a backend started there answers as before, continues its ids and its alert state.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createToken } from '../auth/tokens.js';
import { silentLogger } from '../log.js';
import { type RunningBackend, startBackend } from '../server.js';
import { COPIED_TABLES, copiedTableNames, sqliteTablesOf } from '../store/copy.js';
import { TEST_START_TIME, postJson, queryDb, request, runBackendCli, tempDir, testConfig, testDatabase } from './helpers.js';
import { healthyExample, originalExample, withAgent } from './payloads.js';
import { findPostgresBin } from './postgres.js';

let dir: ReturnType<typeof tempDir> | undefined;
const running: RunningBackend[] = [];
afterEach(async () => {
  for (const backend of running.splice(0)) await backend.close();
  await dir?.remove();
  dir = undefined;
});

const clock = { now: TEST_START_TIME };

/** A real backend on `location` as it is: a SQLite file stays one here, in the PostgreSQL project too. */
async function backendOn(location: string): Promise<RunningBackend> {
  const backend = await startBackend(testConfig(location), {
    log: silentLogger,
    processMetrics: false,
    now: () => clock.now,
    maintenanceEveryMs: 0,
    silenceCheckEveryMs: 0,
    notifyEveryMs: 0,
  });
  running.push(backend);
  return backend;
}

async function stop(backend: RunningBackend): Promise<void> {
  running.splice(running.indexOf(backend), 1);
  await backend.close();
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/** What a user of the API sees of an installation. */
async function apiView(url: string, token: string) {
  const read = async (path: string) => {
    const answer = await request(`${url}${path}`, bearer(token));
    expect(answer.status).toBe(200);
    return answer.body;
  };
  return { metrics: await read('/metrics'), alerts: await read('/alerts'), active: await read('/alerts/active') };
}

function sqliteCounts(path: string): Record<string, number> {
  const sqlite = new SQLite(path, { readonly: true });
  try {
    return Object.fromEntries(copiedTableNames.map((table) => [table, sqlite.prepare(`select count(*) from ${table}`).pluck().get() as number]));
  } finally {
    sqlite.close();
  }
}

const postgresCounts = (url: string): Record<string, number> =>
  Object.fromEntries(copiedTableNames.map((table) => [table, queryDb<{ n: number }>(url, `select count(*) as n from ${table}`)[0]!.n]));

/**
 * Four hours of two devices on a SQLite file: web-1's problems open since the second hour, web-2's
 * fired and recovered; maintenance packs the older hours into blocks; an admin token.
 */
async function sqliteInstallation(path: string): Promise<{ token: string; view: Awaited<ReturnType<typeof apiView>> }> {
  clock.now = TEST_START_TIME;
  const backend = await backendOn(path);
  for (let minute = 0; minute < 240; minute += 10) {
    const web1 = minute >= 60 ? originalExample : healthyExample;
    const web2 = minute >= 90 && minute < 120 ? originalExample : healthyExample;
    expect((await postJson(`${backend.url}/metrics`, withAgent(web1, 'web-1'))).status).toBe(200);
    expect((await postJson(`${backend.url}/metrics`, withAgent(web2, 'web-2'))).status).toBe(200);
    clock.now += 600;
  }
  await backend.maintenance.runUntilIdle();
  const { token } = await createToken(backend.database.db, { role: 'admin', name: 'copy test' }, clock.now);
  const view = await apiView(backend.url, token);
  await stop(backend);
  return { token, view };
}

describe.skipIf(!findPostgresBin())('fleetmon-backend copy', () => {
  it('moves a SQLite installation to PostgreSQL: same counts, same answers, ids and alert state continue', async () => {
    dir = tempDir();
    const source = join(dir.path, 'monitor.sqlite');
    const { token, view } = await sqliteInstallation(source);
    const counts = sqliteCounts(source);
    // Every kind of row is there to be copied, the packed blocks and the open problems included.
    for (const table of ['devices', 'samples', 'sample_blocks', 'alerts', 'alert_state', 'rollups', 'tokens']) expect(counts[table], table).toBeGreaterThan(0);
    expect((view.active as unknown[]).length).toBeGreaterThan(0);

    const target = await testDatabase(join(dir.path, 'target'));
    const password = new URL(target).password;
    const copy = await runBackendCli(['copy', '--from', source, '--to', target]);
    expect(copy.code, copy.output).toBe(0);
    for (const table of copiedTableNames) expect(copy.stdout).toContain(`${table}: ${counts[table]} rows\n`);
    expect(copy.output).toMatch(/copied .* and verified/);
    expect(copy.output).toContain(':***@');
    expect(copy.output).not.toContain(password);
    expect(postgresCounts(target)).toEqual(counts);

    const backend = await backendOn(target);
    expect(await apiView(backend.url, token)).toEqual(view);

    // The next sample gets an id past the copied ones; web-1's problems are still open, so the
    // same values fire nothing new.
    const lastId = queryDb<{ id: number }>(target, 'select max(id) as id from samples')[0]!.id;
    clock.now += 600;
    expect((await postJson(`${backend.url}/metrics`, withAgent(originalExample, 'web-1'))).status).toBe(401);
    const answer = await request(`${backend.url}/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(withAgent(originalExample, 'web-1')),
    });
    expect(answer.status).toBe(200);
    expect(queryDb<{ id: number }>(target, "select id from samples where device_id = 'web-1' order by id desc limit 1")[0]!.id).toBeGreaterThan(lastId);
    expect(queryDb<{ n: number }>(target, 'select count(*) as n from alerts')[0]!.n).toBe(counts.alerts);
    expect((await apiView(backend.url, token)).active).toEqual(view.active);
  });

  it('refuses a target that holds data, and leaves it as it was', async () => {
    dir = tempDir();
    const source = join(dir.path, 'monitor.sqlite');
    await sqliteInstallation(source);
    const target = await testDatabase(join(dir.path, 'target'));
    expect((await runBackendCli(['copy', '--from', source, '--to', target])).code).toBe(0);
    const before = postgresCounts(target);
    const again = await runBackendCli(['copy', '--from', source, '--to', target]);
    expect(again.code).not.toBe(0);
    expect(again.output).toMatch(/already holds data \(devices: 2 rows.*never merges/);
    expect(postgresCounts(target)).toEqual(before);
  });

  it('leaves the target empty when a row cannot be copied, naming the table', async () => {
    dir = tempDir();
    const source = join(dir.path, 'monitor.sqlite');
    await sqliteInstallation(source);
    // SQLite keeps text in a numeric column; PostgreSQL will not take it. tokens is copied last.
    const sqlite = new SQLite(source);
    sqlite.prepare("update tokens set created_at = 'yesterday'").run();
    sqlite.close();
    const target = await testDatabase(join(dir.path, 'target'));
    const copy = await runBackendCli(['copy', '--from', source, '--to', target]);
    expect(copy.code).not.toBe(0);
    expect(copy.output).toMatch(/copying table tokens failed: .*nothing was copied/);
    expect(Object.values(postgresCounts(target))).toEqual(copiedTableNames.map(() => 0));
  });

  it('refuses a missing file and one not at the latest schema, saying what to do', async () => {
    dir = tempDir();
    const target = await testDatabase(join(dir.path, 'target'));
    const missing = await runBackendCli(['copy', '--from', join(dir.path, 'nothing.sqlite'), '--to', target]);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toMatch(/no SQLite database at .*nothing\.sqlite/);
    const old = join(dir.path, 'old.sqlite');
    writeFileSync(old, '');
    const behind = await runBackendCli(['copy', '--from', old, '--to', target]);
    expect(behind.code).not.toBe(0);
    expect(behind.output).toContain(`fleetmon-backend migrate --db ${old}`);
  });

  it('copies every table a fleetmon SQLite file has', async () => {
    dir = tempDir();
    const path = join(dir.path, 'monitor.sqlite');
    await stop(await backendOn(path));
    const sqlite = new SQLite(path, { readonly: true });
    try {
      expect(sqliteTablesOf(sqlite)).toEqual(Object.keys(COPIED_TABLES).sort());
    } finally {
      sqlite.close();
    }
  });
});
