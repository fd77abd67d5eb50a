// What a database file holds as samples, rows and packed blocks alike (as `fleetmon-backend export`
// reads them), for tests that check raw samples without caring which form they are in; on the
// test's PostgreSQL database when the suite runs there.
import { connectDatabase } from '../store/db.js';
import { testDatabaseLocation } from './helpers.js';
import { type ExportRequest, type ExportedSample, exportSamples } from '../store/sample-export.js';

export interface StoredSampleRow extends ExportedSample {
  cpuPercent: number | null;
}

export async function storedSamples(dbPath: string, request: ExportRequest = {}): Promise<StoredSampleRow[]> {
  const database = await connectDatabase(testDatabaseLocation(dbPath));
  try {
    const out: StoredSampleRow[] = [];
    for await (const s of exportSamples(database.db, request)) {
      const payload = JSON.parse(s.payload) as { cpu?: { total_percent?: number | null } };
      out.push({ ...s, cpuPercent: payload.cpu?.total_percent ?? null });
    }
    return out;
  } finally {
    await database.close();
  }
}

/** Earliest and latest time of a device's stored samples. */
export async function storedSpan(dbPath: string, deviceId: string): Promise<{ first: number; last: number; count: number }> {
  const samples = await storedSamples(dbPath, { deviceId });
  return { first: samples[0]?.timestamp ?? Number.NaN, last: samples.at(-1)?.timestamp ?? Number.NaN, count: samples.length };
}
