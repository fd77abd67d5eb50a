// Every stored sample, rows and packed blocks alike, as JSON lines (`fleetmon-backend export`):
// device by device, oldest first, a day at a time, so memory stays small whatever the file holds.
import type { Db } from './db.js';
import { devicePackedSamples } from './sample-blocks.js';
import { firstSampleTime } from './sample-history.js';

export interface ExportRequest {
  /** One device; all when undefined. */
  deviceId?: string;
  /** Unix seconds, inclusive; from the first sample when undefined. */
  from?: number;
  /** Unix seconds, exclusive; to the last sample when undefined. */
  to?: number;
}

export interface ExportedSample {
  id: number;
  deviceId: string;
  timestamp: number;
  receivedAt: number;
  sampleId: string | null;
  /** The payload as stored: JSON text. */
  payload: string;
}

const CHUNK_SECONDS = 86400;

/** Devices with stored samples, rows or blocks (a forgotten device's history stays, and is exported). */
async function devicesWithSamples(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('samples')
    .select('device_id')
    .distinct()
    .union(db.selectFrom('sample_blocks').select('device_id').distinct())
    .orderBy('device_id')
    .execute();
  return rows.map((r) => r.device_id);
}

async function rowsOf(db: Db, deviceId: string, from: number, to: number): Promise<ExportedSample[]> {
  const rows = await db
    .selectFrom('samples')
    .select(['id', 'timestamp', 'received_at', 'sample_id', 'payload'])
    .where('device_id', '=', deviceId)
    .where('timestamp', '>=', from)
    .where('timestamp', '<', to)
    .execute();
  return rows.map((r) => ({ id: r.id, deviceId, timestamp: r.timestamp, receivedAt: r.received_at, sampleId: r.sample_id, payload: r.payload }));
}

/** The stored samples asked for, device by device, each device's oldest first (ties by id). */
export async function* exportSamples(db: Db, request: ExportRequest = {}): AsyncGenerator<ExportedSample> {
  const devices = request.deviceId === undefined ? await devicesWithSamples(db) : [request.deviceId];
  const end = request.to ?? Number.POSITIVE_INFINITY;
  for (const deviceId of devices) {
    let from = await firstSampleTime(db, request.from ?? Number.NEGATIVE_INFINITY, deviceId);
    while (from !== undefined && from < end) {
      // A day from the next sample: empty time is skipped in one step, however long.
      const to = Math.min(end, from + CHUNK_SECONDS > from ? from + CHUNK_SECONDS : Number.POSITIVE_INFINITY);
      const packed = (await devicePackedSamples(db, deviceId, { from, to })).map((s) => ({ ...s, deviceId }));
      const samples = [...(await rowsOf(db, deviceId, from, to)), ...packed].sort((a, b) => a.timestamp - b.timestamp || a.id - b.id);
      yield* samples;
      from = to === Number.POSITIVE_INFINITY ? undefined : await firstSampleTime(db, to, deviceId);
    }
  }
}

/**
 * One JSON line: the row's columns and the payload as an object. The payload text is put in as
 * stored, so every field comes out exactly as the agent's payload was stored.
 */
export function sampleJsonLine(sample: ExportedSample): string {
  const head = JSON.stringify({
    id: sample.id,
    device_id: sample.deviceId,
    timestamp: sample.timestamp,
    received_at: sample.receivedAt,
    sample_id: sample.sampleId,
  });
  return `${head.slice(0, -1)},"payload":${sample.payload}}`;
}
