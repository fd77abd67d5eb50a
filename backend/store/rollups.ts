// Rollups: 5-minute and 1-hour average/maximum/count of each device's headline series
// (backend/history/series.ts), and the marks in `maintenance` that say how far rolling up and
// deleting have got. History reads those marks to know which source holds which part of time.
import { sql } from 'kysely';
import type { Db } from './db.js';
import { isPostgres, smallerOf } from './dialect.js';
import type { RollupResolution } from './schema.js';

export const FIVE_MINUTES = 300 as const;
export const ONE_HOUR = 3600 as const;

/** Keys of the `maintenance` table. Each value is a time, Unix seconds. */
export const MARKS = {
  /** 5-minute buckets starting before this are rolled up (a later sample below it marks its device dirty). */
  rollup300Until: 'rollup_300_until',
  /** Hours starting before this are rolled up from their 5-minute rows. */
  rollup3600Until: 'rollup_3600_until',
  /** Raw samples before this are (being) deleted, all but each device's latest; history takes rollups there. */
  samplesPurgedUntil: 'samples_purged_until',
  /** 5-minute rollups before this are (being) deleted. */
  rollup300PurgedUntil: 'rollup_300_purged_until',
  /** Hourly rollups before this are (being) deleted. */
  rollup3600PurgedUntil: 'rollup_3600_purged_until',
} as const;

export type MarkName = keyof typeof MARKS;
export type Marks = Partial<Record<MarkName, number>>;

export async function readMarks(db: Db): Promise<Marks> {
  const rows = await db.selectFrom('maintenance').select(['key', 'value']).where('key', 'in', Object.values(MARKS)).execute();
  const marks: Marks = {};
  for (const [name, key] of Object.entries(MARKS) as [MarkName, string][]) {
    const row = rows.find((r) => r.key === key);
    if (row) marks[name] = row.value;
  }
  return marks;
}

export async function writeMark(db: Db, name: MarkName, value: number): Promise<void> {
  await db
    .insertInto('maintenance')
    .values({ key: MARKS[name], value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

export const rollupWatermarkQuery = (db: Db) =>
  db.selectFrom('maintenance').select('value').where('key', '=', MARKS.rollup300Until);

/**
 * Called in the ingest transaction for every stored sample, after its device row is written. A sample whose 5-minute bucket is
 * already rolled up marks its device: maintenance recomputes its rollups from that time on.
 * One primary-key read of the watermark; a write only for such a late sample.
 */
export async function noteSampleForRollups(db: Db, deviceId: string, timestamp: number): Promise<void> {
  const watermark = await rollupWatermarkQuery(db).executeTakeFirst();
  if (watermark === undefined || timestamp >= watermark.value) return;
  await db
    .updateTable('devices')
    .set((eb) => ({ rollup_dirty_from: smallerOf(db, eb.fn.coalesce('rollup_dirty_from', eb.val(timestamp)), eb.val(timestamp)) }))
    .where('id', '=', deviceId)
    .execute();
}

export interface DirtyDevice {
  deviceId: string;
  /** Earliest sample time whose rollups must be recomputed. */
  from: number;
}

/** One device whose rollups need recomputing, if any. */
export async function nextDirtyDevice(db: Db): Promise<DirtyDevice | undefined> {
  const row = await db
    .selectFrom('devices')
    .select(['id', 'rollup_dirty_from'])
    .where('rollup_dirty_from', 'is not', null)
    .limit(1)
    .executeTakeFirst();
  return row && row.rollup_dirty_from !== null ? { deviceId: row.id, from: row.rollup_dirty_from } : undefined;
}

/** Move a device's dirty mark on to `from`, or clear it (null). */
export async function setRollupDirtyFrom(db: Db, deviceId: string, from: number | null): Promise<void> {
  await db.updateTable('devices').set({ rollup_dirty_from: from }).where('id', '=', deviceId).execute();
}

export interface RollupValues {
  deviceId: string;
  bucket: number;
  series: string;
  avg: number;
  max: number;
  count: number;
}

export interface TimeRange {
  /** Inclusive, Unix seconds. */
  from: number;
  /** Exclusive, Unix seconds. */
  to: number;
}

// 7 columns per row: 500 rows stay far below SQLite's limit of bound parameters.
const INSERT_ROWS_PER_STATEMENT = 500;

/**
 * Every device id that has rollups, one primary-key seek per device (a "loose index scan", in SQL
 * both SQLite and PostgreSQL run). Queries across devices put it in front of their time range, so
 * that the primary key serves them and no second index by time repeats every rollup's key: that
 * index took about a fifth of the bytes a sample costs on disk. Its cost grows with the number of
 * devices, not with history.
 */
export const rollupDeviceIds = sql<string>`(with recursive ids(id) as (select min(device_id) from rollups union all select (select min(device_id) from rollups where device_id > ids.id) from ids where ids.id is not null) select id from ids where id is not null)`;

async function deleteRollupsIn(db: Db, resolution: RollupResolution, range: TimeRange, deviceId: string | undefined): Promise<void> {
  await db
    .deleteFrom('rollups')
    .where('device_id', 'in', deviceId === undefined ? rollupDeviceIds : [deviceId])
    .where('resolution', '=', resolution)
    .where('bucket', '>=', range.from)
    .where('bucket', '<', range.to)
    .execute();
}

/** Replace the rollups of one resolution whose bucket starts in `range` (of one device, or all). */
export async function replaceRollups(
  db: Db,
  resolution: RollupResolution,
  range: TimeRange,
  deviceId: string | undefined,
  rows: readonly RollupValues[],
): Promise<void> {
  await deleteRollupsIn(db, resolution, range, deviceId);
  for (let i = 0; i < rows.length; i += INSERT_ROWS_PER_STATEMENT) {
    await db
      .insertInto('rollups')
      .values(
        rows.slice(i, i + INSERT_ROWS_PER_STATEMENT).map((r) => ({
          device_id: r.deviceId,
          resolution,
          bucket: r.bucket,
          series: r.series,
          avg: r.avg,
          max: r.max,
          count: r.count,
        })),
      )
      .execute();
  }
}

/** Recompute the hourly rollups of the hours in `range` (whole hours) from their 5-minute rows. */
export async function rebuildHourlyRollups(db: Db, range: TimeRange, deviceId?: string): Promise<void> {
  await deleteRollupsIn(db, ONE_HOUR, range, deviceId);
  const fiveMinute = db
    .selectFrom('rollups')
    .select((eb) => [
      'device_id',
      sql<RollupResolution>`${sql.lit(ONE_HOUR)}`.as('resolution'),
      // Truncated toward zero, as SQLite's cast does (PostgreSQL's cast to integer would round).
      (isPostgres(db) ? sql<number>`trunc(bucket / ${ONE_HOUR}) * ${ONE_HOUR}` : sql<number>`cast(bucket / ${ONE_HOUR} as integer) * ${ONE_HOUR}`).as('hour'),
      'series',
      // Count-weighted: an hour with a gap averages the samples it has, not the buckets.
      sql<number>`sum(avg * count) / sum(count)`.as('avg'),
      eb.fn.max('max').as('max'),
      eb.fn.sum<number>('count').as('count'),
    ])
    .where('device_id', 'in', deviceId === undefined ? rollupDeviceIds : [deviceId])
    .where('resolution', '=', FIVE_MINUTES)
    .where('bucket', '>=', range.from)
    .where('bucket', '<', range.to)
    .groupBy(['device_id', 'hour', 'series']);
  await db
    .insertInto('rollups')
    .columns(['device_id', 'resolution', 'bucket', 'series', 'avg', 'max', 'count'])
    .expression(fiveMinute)
    .execute();
}

/** How many rollups of a resolution start in `range`, across devices. */
export async function countRollups(db: Db, resolution: RollupResolution, range: TimeRange): Promise<number> {
  const row = await db
    .selectFrom('rollups')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('device_id', 'in', rollupDeviceIds)
    .where('resolution', '=', resolution)
    .where('bucket', '>=', range.from)
    .where('bucket', '<', range.to)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The first bucket of a resolution starting at or after `from`: the earliest of each device's first, one seek each. */
export const firstRollupBucketQuery = (db: Db, resolution: RollupResolution, from: number) =>
  db
    .selectFrom(rollupDeviceIds.as('ids'))
    .select((eb) =>
      eb.fn
        .min(
          eb
            .selectFrom('rollups')
            .select('bucket')
            .whereRef('rollups.device_id', '=', sql.ref('ids.id'))
            .where('resolution', '=', resolution)
            .where('bucket', '>=', from)
            .orderBy('bucket')
            .limit(1),
        )
        .as('bucket'),
    );

export async function firstRollupBucket(db: Db, resolution: RollupResolution, from: number): Promise<number | undefined> {
  return (await firstRollupBucketQuery(db, resolution, from).executeTakeFirst())?.bucket ?? undefined;
}

export async function oldestRollupBucket(db: Db, resolution: RollupResolution): Promise<number | undefined> {
  return firstRollupBucket(db, resolution, Number.NEGATIVE_INFINITY);
}

/** Delete up to `limit` rollups of a resolution older than `before`; returns how many went. */
export const deleteRollupsBeforeQuery = (db: Db, resolution: RollupResolution, before: number, limit: number) =>
  db.deleteFrom('rollups').where('device_id', 'in', rollupDeviceIds).where('resolution', '=', resolution).where('bucket', '<', before).limit(limit);

/**
 * PostgreSQL has no DELETE ... LIMIT: the same rows, picked by their physical address, each device's
 * oldest first through the primary key (a lateral scan per device, so the plan is that whatever
 * the statistics say: with a backlog that is most of the table, the planner scanned the table for
 * them, over the dead rows of every batch before, and would scan the whole table for a steady
 * hour's worth once vacuum has scattered them).
 */
export const deleteRollupsBeforePostgres = (db: Db, resolution: RollupResolution, before: number, limit: number) =>
  db.deleteFrom('rollups').where(
    sql`ctid`,
    '=',
    sql`any(array(
      select picked.ctid from ${rollupDeviceIds} as ids(id)
      cross join lateral (select ctid from rollups where device_id = ids.id and resolution = ${resolution} and bucket < ${before} order by bucket limit ${limit}) as picked
      limit ${limit}))`,
  );

export async function deleteRollupsBefore(db: Db, resolution: RollupResolution, before: number, limit: number): Promise<number> {
  const query = isPostgres(db) ? deleteRollupsBeforePostgres(db, resolution, before, limit) : deleteRollupsBeforeQuery(db, resolution, before, limit);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** One device's rollups of one resolution in a time range: a range of the primary key. */
export const deviceRollupsQuery = (db: Db, deviceId: string, resolution: RollupResolution, range: TimeRange) =>
  db
    .selectFrom('rollups')
    .select(['bucket', 'series', 'avg', 'max', 'count'])
    .where('device_id', '=', deviceId)
    .where('resolution', '=', resolution)
    .where('bucket', '>=', range.from)
    .where('bucket', '<', range.to);
