// Rollups: 5-minute and 1-hour average/maximum of each device's headline series.
// STUB: implemented by the history/retention work.
import type { Db } from './db.js';

/** Called in the ingest transaction for every stored sample; marks rollups to redo for a late one. */
export async function noteSampleForRollups(_db: Db, _deviceId: string, _timestamp: number): Promise<void> {}
