// Samples: every accepted payload, with the most-queried numbers as real columns.
import type { MetricsPayload } from '../../shared/payload.js';
import type { Db } from './db.js';

export interface StoredSample {
  id: number;
  deviceId: string;
  timestamp: number;
  payload: MetricsPayload;
}

export async function insertSample(db: Db, payload: MetricsPayload, timestamp: number, receivedAt: number): Promise<number> {
  const row = await db
    .insertInto('samples')
    .values({
      device_id: payload.agent_id,
      timestamp,
      received_at: receivedAt,
      sample_id: payload.sample_id ?? null,
      cpu_percent: payload.cpu?.total_percent ?? null,
      memory_percent: payload.memory?.percent ?? null,
      swap_percent: payload.memory?.swap_percent ?? null,
      payload: JSON.stringify(payload),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
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

export async function latestSamples(db: Db): Promise<StoredSample[]> {
  const rows = await latestSamplesQuery(db).execute();
  return rows.map((r) => ({ id: r.id, deviceId: r.device_id, timestamp: r.timestamp, payload: JSON.parse(r.payload) as MetricsPayload }));
}
