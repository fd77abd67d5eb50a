// Retention's deletes on PostgreSQL pick their batch through an index and delete it by key or
// address, even when the statistics say most of the table has expired (a backlog after --retention
// was shortened): planned as a scan, each batch read the table from its start, over the dead rows
// of every batch before.
import { join } from 'node:path';
import { type Compilable, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testDatabase } from '../test/helpers.js';
import { findPostgresBin } from '../test/postgres.js';
import { type OpenedDatabase, connectDatabase } from './db.js';
import { migrateToLatest } from './migrate.js';
import { deleteRollupsBeforePostgres } from './rollups.js';
import { deleteSamplesBeforePostgres } from './sample-history.js';
import { deleteBlocksBeforePostgres } from './sample-blocks.js';

let dir: ReturnType<typeof tempDir>;
let database: OpenedDatabase;
const t0 = 1_700_000_000 - (1_700_000_000 % 3600);
const HOURS = 48;
const DEVICES = 20;
const SERIES = ['cpu', 'memory', 'swap', 'disk:/:percent'];
/** All but the last hour has expired. */
const before = t0 + (HOURS - 1) * 3600;

async function plan(query: Compilable): Promise<string> {
  const compiled = query.compile();
  const { rows } = await database.db.executeQuery<{ 'QUERY PLAN': string }>({ ...compiled, sql: `explain (costs off) ${compiled.sql}` });
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe.skipIf(!findPostgresBin())('retention plans on PostgreSQL', () => {
  beforeAll(async () => {
    dir = tempDir();
    const url = await testDatabase(join(dir.path, 'retention-plans.sqlite'));
    database = await connectDatabase(url);
    const db = database.db;
    await migrateToLatest(db);
    const devices = Array.from({ length: DEVICES }, (_, i) => `device-${i}`);
    await db.insertInto('devices').values(devices.map((id) => ({ id, first_seen: t0, last_seen: t0, latest_sample_id: null, interval_seconds: 10 }))).execute();
    for (let hour = t0; hour < t0 + HOURS * 3600; hour += 3600) {
      await db
        .insertInto('samples')
        .values(devices.flatMap((id) => Array.from({ length: 36 }, (_, i) => ({ device_id: id, timestamp: hour + i * 100, received_at: hour + i * 100, sample_id: null, cpu_percent: 1, memory_percent: 1, swap_percent: 0, payload: '{}' }))))
        .execute();
      await db.insertInto('sample_blocks').values(devices.map((id) => ({ device_id: id, hour, first_time: hour, last_time: hour + 3590, count: 360, data: Buffer.from('block') }))).execute();
      await db
        .insertInto('rollups')
        .values(devices.flatMap((id) => SERIES.flatMap((series) => Array.from({ length: 12 }, (_, i) => ({ device_id: id, resolution: 300 as const, bucket: hour + i * 300, series, avg: 1, max: 1, count: 30 })))))
        .execute();
    }
    await sql`analyze`.execute(db);
  });

  afterAll(async () => {
    await database?.close();
    await dir?.remove();
  });

  it('picks expired samples in time order through samples_time and deletes them by id', async () => {
    const text = await plan(deleteSamplesBeforePostgres(database.db, before, 2000));
    expect(text).toMatch(/Index Scan using samples_time on samples/);
    expect(text).toMatch(/Index Scan using samples_pkey on samples/);
    expect(text).not.toMatch(/Seq Scan on samples/);
  });

  it('picks expired blocks through the hour index and deletes them in one statement', async () => {
    const text = await plan(deleteBlocksBeforePostgres(database.db, before, 100));
    expect(text).toMatch(/Index Scan using sample_blocks_hour on sample_blocks/);
    // By address: a Tid Scan on a real table; this one's heap is a few pages (the data of a real
    // block lives in TOAST), which PostgreSQL may read whole instead.
    expect(text).toMatch(/ctid = ANY/);
  });

  it('picks expired rollups through the primary key, a range per device', async () => {
    const text = await plan(deleteRollupsBeforePostgres(database.db, 300, before, 2000));
    // An index scan, or a bitmap of the same range: either reads only the device's expired range.
    expect(text).toMatch(/Index Scan using rollups_pk on rollups|Bitmap Index Scan on rollups_pk/);
    expect(text).not.toMatch(/Seq Scan on rollups/);
  });
});
