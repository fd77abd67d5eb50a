// The same migrations on PostgreSQL: the whole schema on an empty database, each with a working
// down, and types that keep what SQLite keeps (8-byte floats for times, ids past 2^31).
import { join } from 'node:path';
import { Migrator, NO_MIGRATIONS } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { queryDb, tempDir, testDatabase } from '../test/helpers.js';
import { findPostgresBin } from '../test/postgres.js';
import { type OpenedDatabase, connectDatabase } from './db.js';
import { migrateToLatest } from './migrate.js';

let dir: ReturnType<typeof tempDir> | undefined;
let database: OpenedDatabase | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
  await dir?.remove();
});

const names = Object.keys(migrations);

async function freshDatabase(): Promise<string> {
  dir = tempDir();
  const url = await testDatabase(join(dir.path, 'monitor.sqlite'));
  database = await connectDatabase(url);
  return url;
}

describe.skipIf(!findPostgresBin())('migrations on PostgreSQL', () => {
  it('applies every migration, in order, to an empty database, and nothing the second time', async () => {
    await freshDatabase();
    expect(database!.dialect).toBe('postgres');
    expect(await migrateToLatest(database!.db)).toEqual({ applied: names, current: names.at(-1) });
    expect(await migrateToLatest(database!.db)).toEqual({ applied: [], current: names.at(-1) });
  });

  it('stores times and values as 8-byte floats and row ids as 64-bit identities', async () => {
    const url = await freshDatabase();
    await migrateToLatest(database!.db);
    const columns = queryDb<{ table_name: string; column_name: string; data_type: string; is_identity: string }>(
      url,
      "select table_name, column_name, data_type, is_identity from information_schema.columns where table_schema = 'public' and table_name not like 'kysely%' order by table_name, column_name",
    );
    // PostgreSQL's `real` is 4 bytes: a Unix time in it would be off by minutes.
    expect(columns.filter((c) => c.data_type === 'real')).toEqual([]);
    expect(columns.find((c) => c.table_name === 'samples' && c.column_name === 'timestamp')?.data_type).toBe('double precision');
    const identities = columns.filter((c) => c.is_identity === 'YES').map((c) => `${c.table_name}.${c.column_name} ${c.data_type}`);
    expect(identities).toEqual(['alerts.id bigint', 'notifications.id bigint', 'samples.id bigint', 'silences.id bigint']);
  });

  it('refuses a payload that is not JSON, as SQLite does with json_valid', async () => {
    await freshDatabase();
    await migrateToLatest(database!.db);
    const insert = (payload: string) =>
      database!.db.insertInto('samples').values({ device_id: 'a', timestamp: 1, received_at: 1, sample_id: null, cpu_percent: null, memory_percent: null, swap_percent: null, payload }).execute();
    await insert('{"agent_id":"a"}');
    await expect(insert('{not json')).rejects.toThrow(/json/i);
  });

  it('can take every migration down again (each has a working down)', async () => {
    const url = await freshDatabase();
    await migrateToLatest(database!.db);
    const { error } = await new Migrator({ db: database!.db, provider: { getMigrations: async () => migrations } }).migrateTo(NO_MIGRATIONS);
    expect(error).toBeUndefined();
    expect(queryDb(url, "select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely%'")).toEqual([]);
  });
});
