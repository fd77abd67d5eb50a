// Samples: every accepted payload, with the most-queried numbers as real columns.
import type { MetricsPayload } from '../../shared/payload.js';
import type { Db } from './db.js';
import type { SampleRow } from './schema.js';

export interface StoredSample {
  id: number;
  deviceId: string;
  timestamp: number;
  payload: MetricsPayload;
}

/** The row of an accepted sample; `payloadText` is the payload as JSON when the caller has it already. */
export function sampleRowOf(payload: MetricsPayload, timestamp: number, receivedAt: number, payloadText?: string): Omit<SampleRow, 'id'> {
  return {
    device_id: payload.agent_id,
    timestamp,
    received_at: receivedAt,
    sample_id: payload.sample_id ?? null,
    cpu_percent: payload.cpu?.total_percent ?? null,
    memory_percent: payload.memory?.percent ?? null,
    swap_percent: payload.memory?.swap_percent ?? null,
    payload: payloadText ?? JSON.stringify(payload),
  };
}

export async function insertSample(db: Db, payload: MetricsPayload, timestamp: number, receivedAt: number): Promise<number> {
  const row = await db.insertInto('samples').values(sampleRowOf(payload, timestamp, receivedAt)).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** A sample already stored under the agent's id for it, if any (a retry of an acknowledged send). */
export async function findSampleByAgentId(db: Db, deviceId: string, sampleId: string): Promise<{ id: number; timestamp: number } | undefined> {
  return db
    .selectFrom('samples')
    .select(['id', 'timestamp'])
    .where('device_id', '=', deviceId)
    .where('sample_id', '=', sampleId)
    .executeTakeFirst();
}

/** The latest sample of every device: one row per device, found through devices.latest_sample_id. */
export const latestSamplesQuery = (db: Db) =>
  db
    .selectFrom('devices')
    .innerJoin('samples', 'samples.id', 'devices.latest_sample_id')
    .select(['samples.id', 'samples.device_id', 'samples.timestamp', 'samples.payload'])
    .orderBy('devices.id');

/**
 * A stored payload back as an object. It was validated on ingest and is stored as the schema's
 * output, so it is read without checking again.
 */
export const readStoredPayload = (text: string): MetricsPayload => JSON.parse(text) as MetricsPayload;

const storedSample = (r: { id: number; device_id: string; timestamp: number; payload: string }): StoredSample => ({
  id: r.id,
  deviceId: r.device_id,
  timestamp: r.timestamp,
  payload: readStoredPayload(r.payload),
});

export async function latestSamples(db: Db): Promise<StoredSample[]> {
  return (await latestSamplesQuery(db).execute()).map(storedSample);
}

/** One device's latest sample, through its devices row. */
export async function latestSampleOf(db: Db, deviceId: string): Promise<StoredSample | undefined> {
  const row = await latestSamplesQuery(db).where('devices.id', '=', deviceId).executeTakeFirst();
  return row && storedSample(row);
}

/** A device's newest samples' CPU and memory percents, newest first (the original's GET /history). */
export const recentCpuMemoryQuery = (db: Db, deviceId: string, limit: number) =>
  db
    .selectFrom('samples')
    .select(['timestamp', 'cpu_percent', 'memory_percent'])
    .where('device_id', '=', deviceId)
    .orderBy('timestamp', 'desc')
    .limit(limit);

/** A sample by our id (samples.id), while it is a row (the last two hours, before it is packed). */
export async function sampleById(db: Db, id: number): Promise<StoredSample | undefined> {
  const row = await db.selectFrom('samples').select(['id', 'device_id', 'timestamp', 'payload']).where('id', '=', id).executeTakeFirst();
  return row && storedSample(row);
}
