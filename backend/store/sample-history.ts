// Samples as history: reading them by time for rollups and history, deleting them when aged out.
// A sample is a row of `samples` or packed in a block (store/sample-blocks.ts); readers here see both.
import { sql } from 'kysely';
import type { Db } from './db.js';
import { isPostgres } from './dialect.js';
import type { TimeRange } from './rollups.js';
import { devicePackedSamples, firstPackedTime, newestPackedSamples, packedSamplesInRange } from './sample-blocks.js';
import { readStoredPayload, recentCpuMemoryQuery } from './samples.js';

export interface TimedPayload {
  deviceId: string;
  timestamp: number;
  /** The payload as stored: JSON text. */
  payload: string;
}

/** Samples of every device in a time range, oldest first, through the `samples_time` index. */
export const samplesInRangeQuery = (db: Db, range: TimeRange, limit?: number) => {
  const query = db
    .selectFrom('samples')
    .select(['device_id as deviceId', 'timestamp', 'payload'])
    .where('timestamp', '>=', range.from)
    .where('timestamp', '<', range.to)
    .orderBy('timestamp');
  return limit === undefined ? query : query.limit(limit);
};

/** Rows and packed samples, oldest first, the first `limit` of both together. */
function mergeOldestFirst(rows: TimedPayload[], packed: readonly TimedPayload[], limit: number | undefined): TimedPayload[] {
  if (packed.length === 0) return rows;
  const all = [...rows, ...packed].sort((a, b) => a.timestamp - b.timestamp);
  return limit === undefined ? all : all.slice(0, limit);
}

const timed = (deviceId: string) => (s: { timestamp: number; payload: string }): TimedPayload => ({ deviceId, timestamp: s.timestamp, payload: s.payload });

export async function samplesInRange(db: Db, range: TimeRange, limit?: number): Promise<TimedPayload[]> {
  const rows = await samplesInRangeQuery(db, range, limit).execute();
  const packed = await packedSamplesInRange(db, range, limit);
  return mergeOldestFirst(rows, packed.map((s) => timed(s.deviceId)(s)), limit);
}

/** One device's samples in a time range, oldest first, through the `samples_device_time` index. */
export const deviceSamplesQuery = (db: Db, deviceId: string, range: TimeRange, limit?: number) => {
  const query = db
    .selectFrom('samples')
    .select(['device_id as deviceId', 'timestamp', 'payload'])
    .where('device_id', '=', deviceId)
    .where('timestamp', '>=', range.from)
    .where('timestamp', '<', range.to)
    .orderBy('timestamp');
  return limit === undefined ? query : query.limit(limit);
};

export async function deviceSamples(db: Db, deviceId: string, range: TimeRange, limit?: number): Promise<TimedPayload[]> {
  const rows = await deviceSamplesQuery(db, deviceId, range, limit).execute();
  const packed = await devicePackedSamples(db, deviceId, range);
  return mergeOldestFirst(rows, packed.map(timed(deviceId)), limit);
}

/** The same range with only the columns cpu, memory and swap: no payload to read or parse. */
export const deviceSampleColumnsQuery = (db: Db, deviceId: string, range: TimeRange) =>
  db
    .selectFrom('samples')
    .select(['timestamp', 'cpu_percent', 'memory_percent', 'swap_percent'])
    .where('device_id', '=', deviceId)
    .where('timestamp', '>=', range.from)
    .where('timestamp', '<', range.to);

/** The time of the first sample at or after `from` (of one device, or of all), through a time index. */
export const firstSampleTimeQuery = (db: Db, from: number, deviceId?: string) => {
  const query = db.selectFrom('samples').select('timestamp').where('timestamp', '>=', from).orderBy('timestamp').limit(1);
  return deviceId === undefined ? query : query.where('device_id', '=', deviceId);
};

/** The time of the first sample at or after `from`; where it is packed, possibly a little earlier (never before `from`). */
export async function firstSampleTime(db: Db, from: number, deviceId?: string): Promise<number | undefined> {
  const row = (await firstSampleTimeQuery(db, from, deviceId).executeTakeFirst())?.timestamp;
  const packed = await firstPackedTime(db, from, deviceId);
  if (row === undefined || packed === undefined) return row ?? packed;
  return Math.min(row, packed);
}

export async function oldestSampleTime(db: Db): Promise<number | undefined> {
  return firstSampleTime(db, Number.NEGATIVE_INFINITY);
}

/** Up to `limit` samples older than `before`, but never a device's latest (GET /metrics shows it). */
export const deleteSamplesBeforeQuery = (db: Db, before: number, limit: number) =>
  db
    .deleteFrom('samples')
    .where('timestamp', '<', before)
    .where('id', 'not in', (eb) =>
      eb.selectFrom('devices').select('latest_sample_id').where('latest_sample_id', 'is not', null).$narrowType<{ latest_sample_id: number }>(),
    )
    .limit(limit);

/**
 * PostgreSQL has no DELETE ... LIMIT: the same rows, picked by id, oldest first. The order makes
 * the pick walk samples_time from its start and stop at the limit whatever the statistics say (a
 * backlog that is most of the table made the planner scan the table for them), and `= any(array)`
 * deletes by primary key instead of joining the whole table to the picked ids.
 */
export const deleteSamplesBeforePostgres = (db: Db, before: number, limit: number) =>
  db.deleteFrom('samples').where(
    'id',
    '=',
    sql<number>`any(array(${db
      .selectFrom('samples')
      .select('id')
      .where('timestamp', '<', before)
      .where('id', 'not in', (inner) =>
        inner.selectFrom('devices').select('latest_sample_id').where('latest_sample_id', 'is not', null).$narrowType<{ latest_sample_id: number }>(),
      )
      .orderBy('timestamp')
      .limit(limit)}))`,
  );

export async function deleteSamplesBefore(db: Db, before: number, limit: number): Promise<number> {
  const query = isPostgres(db) ? deleteSamplesBeforePostgres(db, before, limit) : deleteSamplesBeforeQuery(db, before, limit);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface RecentCpuMemoryRow {
  timestamp: number;
  cpu_percent: number | null;
  memory_percent: number | null;
}

/** A device's newest `limit` samples' CPU and memory percents, newest first, from rows and, when they are too few, packed blocks. */
export async function recentCpuMemoryOf(db: Db, deviceId: string, limit: number): Promise<RecentCpuMemoryRow[]> {
  const rows = await recentCpuMemoryQuery(db, deviceId, limit).execute();
  if (rows.length >= limit) return rows;
  const packed = (await newestPackedSamples(db, deviceId, Number.POSITIVE_INFINITY, limit)).map((s): RecentCpuMemoryRow => {
    const payload = readStoredPayload(s.payload);
    return { timestamp: s.timestamp, cpu_percent: payload.cpu?.total_percent ?? null, memory_percent: payload.memory?.percent ?? null };
  });
  return [...rows, ...packed].sort((a, b) => b.timestamp - a.timestamp).slice(0, limit);
}
