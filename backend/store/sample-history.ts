// Samples as history: reading them by time for rollups and history, deleting them when aged out.
import type { Db } from './db.js';
import { isPostgres } from './dialect.js';
import type { TimeRange } from './rollups.js';

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

export async function samplesInRange(db: Db, range: TimeRange, limit?: number): Promise<TimedPayload[]> {
  return samplesInRangeQuery(db, range, limit).execute();
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
  return deviceSamplesQuery(db, deviceId, range, limit).execute();
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

export async function firstSampleTime(db: Db, from: number, deviceId?: string): Promise<number | undefined> {
  return (await firstSampleTimeQuery(db, from, deviceId).executeTakeFirst())?.timestamp;
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

/** PostgreSQL has no DELETE ... LIMIT: the same rows, picked by id. */
const deleteSamplesBeforePostgres = (db: Db, before: number, limit: number) =>
  db.deleteFrom('samples').where('id', 'in', (eb) =>
    eb
      .selectFrom('samples')
      .select('id')
      .where('timestamp', '<', before)
      .where('id', 'not in', (inner) =>
        inner.selectFrom('devices').select('latest_sample_id').where('latest_sample_id', 'is not', null).$narrowType<{ latest_sample_id: number }>(),
      )
      .limit(limit),
  );

export async function deleteSamplesBefore(db: Db, before: number, limit: number): Promise<number> {
  const query = isPostgres(db) ? deleteSamplesBeforePostgres(db, before, limit) : deleteSamplesBeforeQuery(db, before, limit);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}
