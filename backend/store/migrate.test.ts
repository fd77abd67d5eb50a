// Migrations: a new file gets the whole schema; an old file is upgraded in place with its data.
import { join } from 'node:path';
import { Migrator, NO_MIGRATIONS } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { queryDb, tempDir } from '../test/helpers.js';
import { openDatabase } from './db.js';
import { migrateToLatest } from './migrate.js';

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => dir?.remove());

const names = Object.keys(migrations);

describe('migrateToLatest', () => {
  it('applies every migration, in order, to an empty file, and nothing the second time', async () => {
    dir = tempDir();
    const database = openDatabase(join(dir.path, 'new.sqlite'));
    expect(await migrateToLatest(database.db)).toEqual({ applied: names, current: names.at(-1) });
    expect(await migrateToLatest(database.db)).toEqual({ applied: [], current: names.at(-1) });
    await database.close();
  });

  it('upgrades a database written by the first release in place, keeping its rows', async () => {
    dir = tempDir();
    const file = join(dir.path, 'old.sqlite');
    const database = openDatabase(file);
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
    const first = await migrator.migrateTo('0001_initial');
    expect(first.error).toBeUndefined();
    database.sqlite
      .prepare("insert into samples (device_id, timestamp, received_at, payload) values ('old-host', 1700000000, 1700000000, '{\"agent_id\":\"old-host\"}')")
      .run();
    const report = await migrateToLatest(database.db);
    expect(report.applied).toEqual(names.slice(1));
    await database.close();
    expect(queryDb(file, 'select device_id, timestamp from samples')).toEqual([{ device_id: 'old-host', timestamp: 1700000000 }]);
  });

  it('can take every migration down again (each has a working down)', async () => {
    dir = tempDir();
    const file = join(dir.path, 'down.sqlite');
    const database = openDatabase(file);
    await migrateToLatest(database.db);
    const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } });
    const { error } = await migrator.migrateTo(NO_MIGRATIONS);
    await database.close();
    expect(error).toBeUndefined();
    expect(queryDb(file, "select name from sqlite_master where type = 'table' and name in ('samples', 'alerts', 'devices', 'alert_state')")).toEqual([]);
  });

  it('creates a new file with 16 KB pages and incremental auto-vacuum, as reopened later', async () => {
    dir = tempDir();
    const file = join(dir.path, 'new.sqlite');
    const first = openDatabase(file);
    await migrateToLatest(first.db);
    await first.close();
    const again = openDatabase(file);
    expect(again.sqlite.pragma('page_size', { simple: true })).toBe(16384);
    expect(again.sqlite.pragma('auto_vacuum', { simple: true })).toBe(2);
    await again.close();
  });

  it('writes the SQLite schema of 0001..0006 exactly as the first releases did (existing files stay comparable)', async () => {
    dir = tempDir();
    const database = openDatabase(join(dir.path, 'schema.sqlite'));
    const { error } = await new Migrator({ db: database.db, provider: { getMigrations: async () => migrations } }).migrateTo('0006_flapping');
    expect(error).toBeUndefined();
    const rows = database.sqlite.prepare("select type, name, sql from sqlite_master where name not like 'kysely%' order by type, name").all() as { type: string; name: string; sql: string | null }[];
    await database.close();
    await expect(rows.map((r) => `-- ${r.type} ${r.name}\n${r.sql ?? '(created by SQLite)'};\n`).join('')).toMatchFileSnapshot('fixtures/sqlite-schema-0006.sql');
  });
});
