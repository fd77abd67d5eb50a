// fleetmon-backend's command line: help, the migrate command, and errors that say what to do.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { insertSamples, knownPayload } from './history-fixtures.js';
import { queryDb, request, runBackendCli, spawnBackend, tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => dir?.remove());

describe('fleetmon-backend CLI', () => {
  it('--help names every option and its environment variable', async () => {
    const { code, output: raw } = await runBackendCli(['--help']);
    expect(code).toBe(0);
    const output = raw.replace(/\s+/g, ' ');
    for (const [option, env] of [
      ['--db', 'FLEETMON_DB'],
      ['--host', 'FLEETMON_HOST'],
      ['--port', 'FLEETMON_PORT'],
      ['--cors-origin', 'FLEETMON_CORS_ORIGIN'],
      ['--body-limit', 'FLEETMON_BODY_LIMIT'],
      ['--retention', 'FLEETMON_RETENTION'],
      ['--rollup-retention', 'FLEETMON_ROLLUP_RETENTION'],
      ['--rules', 'FLEETMON_RULES'],
      ['--notify', 'FLEETMON_NOTIFY'],
      ['--lock-timeout', 'FLEETMON_LOCK_TIMEOUT'],
      ['--header-timeout', 'FLEETMON_HEADER_TIMEOUT'],
      ['--request-timeout', 'FLEETMON_REQUEST_TIMEOUT'],
      ['--silence-check-every', 'FLEETMON_SILENCE_CHECK_EVERY'],
      ['--maintenance-every', 'FLEETMON_MAINTENANCE_EVERY'],
      ['--insecure-open', 'FLEETMON_INSECURE_OPEN'],
      ['--tls-cert', 'FLEETMON_TLS_CERT'],
      ['--tls-key', 'FLEETMON_TLS_KEY'],
    ]) {
      expect(output).toContain(option);
      expect(output).toContain(`env: ${env}`);
    }
    expect(output).toContain('migrate');
    expect(output).toContain('token');
  });

  it.each([
    ['migrate', ['--db', 'FLEETMON_DB']],
    ['maintenance', ['--db', 'FLEETMON_DB', '--retention', 'FLEETMON_RETENTION', '--rollup-retention', 'FLEETMON_ROLLUP_RETENTION']],
    ['token add', ['--db', 'FLEETMON_DB', '--role', 'agent', 'admin', 'read', '--agent', '--name']],
    ['token list', ['--db', 'FLEETMON_DB']],
    ['token revoke', ['--db', 'FLEETMON_DB', '<id>']],
    ['notify test', ['--receiver', '--notify', 'FLEETMON_NOTIFY']],
  ])('%s --help lists its options', async (command, names) => {
    const { code, output } = await runBackendCli([...command.split(' '), '--help']);
    expect(code).toBe(0);
    for (const name of names) expect(output.replace(/\s+/g, ' ')).toContain(name);
  });

  it('takes --db after the subcommand, before it, or from FLEETMON_DB', async () => {
    dir = tempDir();
    const after = join(dir.path, 'after.sqlite');
    const before = join(dir.path, 'before.sqlite');
    expect((await runBackendCli(['migrate', '--db', after])).output).toContain(`applied 0001_initial, 0002_sample_identity, 0003_fleet_state_and_history, 0004_tokens, 0005_notifications, 0006_flapping, 0007_sample_blocks, 0008_rollups_without_time_index to ${after}`);
    expect((await runBackendCli(['--db', before, 'migrate'])).output).toContain(`to ${before}`);
    const fromEnv = join(dir.path, 'env.sqlite');
    expect((await runBackendCli(['maintenance'], { FLEETMON_DB: fromEnv })).output).toContain(`maintenance of ${fromEnv} done`);
  });

  it('migrate creates the schema in a new file, and is a no-op the second time', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    const first = await runBackendCli(['migrate', '--db', db]);
    expect(first).toMatchObject({ code: 0, output: expect.stringContaining('applied 0001_initial') });
    const tables = queryDb<{ name: string }>(db, "select name from sqlite_master where type = 'table' and name not like 'kysely%' and name not like 'sqlite%' order by name");
    expect(tables.map((t) => t.name)).toEqual(['alert_pending', 'alert_state', 'alerts', 'devices', 'flapping', 'leases', 'maintenance', 'notifications', 'rollups', 'sample_blocks', 'samples', 'silences', 'tokens']);
    const second = await runBackendCli(['migrate', '--db', db]);
    expect(second).toMatchObject({ code: 0, output: expect.stringContaining('already at the latest schema') });
  });

  it('token add and revoke refuse what cannot be, saying what to give', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    expect(await runBackendCli(['token', 'add', '--role', 'agent', '--db', db])).toMatchObject({ code: 1, output: expect.stringContaining('give its agent_id with --agent') });
    expect(await runBackendCli(['token', 'add', '--role', 'read', '--agent', 'web-1', '--db', db])).toMatchObject({ code: 1, output: expect.stringContaining('--agent is only for --role agent') });
    expect(await runBackendCli(['token', 'revoke', '0badc0de', '--db', db])).toMatchObject({ code: 1, output: expect.stringContaining("no token 0badc0de: 'fleetmon-backend token list' shows") });
    expect(queryDb(db, 'select count(*) as n from tokens')).toEqual([{ n: 0 }]);
  });

  it('refuses a database written by a newer fleetmon, and leaves it untouched', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    await runBackendCli(['migrate', '--db', db]);
    const raw = new SQLite(db);
    raw.prepare("insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01T00:00:00.000Z')").run();
    raw.close();
    const { code, output } = await runBackendCli(['--db', db, '--port', '0']);
    expect(code).toBe(1);
    expect(output).toContain('written by a newer fleetmon');
    expect(output).toContain('9999_from_the_future');
    expect(queryDb(db, 'select count(*) as n from kysely_migration')).toEqual([{ n: Object.keys(migrations).length + 1 }]);
  });

  it('says what is wrong with a bad option or an unusable database file', async () => {
    expect(await runBackendCli(['--port', 'eighty'])).toMatchObject({ code: 1, output: expect.stringContaining('--port must be a whole number') });
    expect(await runBackendCli(['--body-limit', 'lots'])).toMatchObject({ code: 1, output: expect.stringContaining('--body-limit must be a size') });
    expect(await runBackendCli(['--db', '/nonexistent-dir/x.sqlite'])).toMatchObject({ code: 1, output: expect.stringContaining('cannot open database') });
    dir = tempDir();
    const notDb = join(dir.path, 'notes.txt');
    writeFileSync(notDb, 'this is not a database, just some text that is long enough to be read as a header...'.repeat(20));
    const { code, output } = await runBackendCli(['--db', notDb, '--port', '0']);
    expect(code).toBe(1);
    expect(output).toMatch(/not a database/);
  });

  it('names --host or --port when it cannot listen there, without a stack trace', async () => {
    dir = tempDir();
    const db = join(dir.path, 'm.sqlite');
    // --insecure-open: past protected mode (an open API beyond loopback), to the listening itself.
    const badAddress = await runBackendCli(['--db', db, '--host', '192.0.2.1', '--port', '0', '--insecure-open']);
    expect(badAddress).toMatchObject({ code: 1, output: expect.stringContaining('--host 192.0.2.1: no network interface of this machine has that address') });
    const badName = await runBackendCli(['--db', db, '--host', 'no-such-host.invalid', '--port', '0', '--insecure-open']);
    expect(badName).toMatchObject({ code: 1, output: expect.stringContaining('--host no-such-host.invalid: no such host name') });
    const first = await spawnBackend(['--db', db]);
    try {
      const port = new URL(first.url).port;
      const taken = await runBackendCli(['--db', join(dir.path, 'other.sqlite'), '--port', port]);
      expect(taken).toMatchObject({ code: 1, output: expect.stringContaining(`port ${port} on 127.0.0.1 is in use by another process: pick another with --port`) });
      for (const answer of [badAddress, badName, taken]) expect(answer.output).not.toMatch(/\n\s+at /);
    } finally {
      await first.stop();
    }
  });

  it('refuses a database file it may not write, before saying it listens', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    await runBackendCli(['migrate', '--db', db]);
    // As an unprivileged user (root may write anything), on a file and directory it cannot write.
    chmodSync(db, 0o444);
    chmodSync(dir.path, 0o755);
    const { code, output } = await runBackendCli(['--db', db, '--port', '0'], {}, { uid: 65534, gid: 65534 });
    expect(code).toBe(1);
    expect(output).toContain(`cannot open database ${db}: it is read-only here`);
    expect(output).not.toContain('listening');
  });

  it('refuses to start with a broken rules file, saying where the mistake is', async () => {
    dir = tempDir();
    const rules = join(dir.path, 'rules.yaml');
    writeFileSync(rules, 'rules:\n  cpu_high: { threshold: 95, clear_below: 99 }\n');
    const { code, output } = await runBackendCli(['--db', join(dir.path, 'm.sqlite'), '--port', '0', '--rules', rules]);
    expect(code).toBe(1);
    expect(output).toContain(`rules file ${rules}: rules.cpu_high.clear_below (99) must not be above the threshold (95)`);
  });

  it('starts with a valid rules file and shows it in GET /rules', async () => {
    dir = tempDir();
    const rules = join(dir.path, 'rules.yaml');
    writeFileSync(rules, 'rules:\n  cpu_high: { threshold: 95 }\n');
    const backend = await spawnBackend(['--db', join(dir.path, 'm.sqlite'), '--rules', rules]);
    try {
      const shown = await request<{ source: string; rules: { id: string; threshold: number }[] }>(`${backend.url}/rules`);
      expect(shown.body.source).toBe(rules);
      expect(shown.body.rules.find((r) => r.id === 'cpu_high')?.threshold).toBe(95);
    } finally {
      expect(await backend.stop()).toBe(0);
    }
  });

  it('maintenance applies retention to 60 days of history: 30 days stay raw, the rest as rollups', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    await runBackendCli(['migrate', '--db', db]);
    const now = Date.now() / 1000;
    const raw = new SQLite(db);
    insertSamples(raw, { devices: ['old-host', 'new-host'], from: now - 60 * 86400, to: now, every: 600, payload: knownPayload });
    raw.close();

    const { code, output } = await runBackendCli(['maintenance', '--db', db]);
    expect(code).toBe(0);
    expect(output).toMatch(/maintenance of .* done/);
    // Raw samples are rows for the last hours and packed blocks before: export reads both.
    const exported = await runBackendCli(['export', '--db', db]);
    expect(exported.code).toBe(0);
    const oldest = Math.min(...exported.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { timestamp: number }).timestamp));
    expect(now - oldest).toBeLessThanOrEqual(30 * 86400 + 3600);
    expect(now - oldest).toBeGreaterThan(29 * 86400);
    expect(queryDb<{ n: number }>(db, 'select count(*) as n from sample_blocks')[0]!.n).toBeGreaterThan(0);
    const [hourly] = queryDb<{ oldest: number }>(db, 'select min(bucket) as oldest from rollups where resolution = 3600');
    expect(now - hourly!.oldest).toBeGreaterThan(59 * 86400);
  });
});
