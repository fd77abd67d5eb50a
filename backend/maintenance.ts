// Background upkeep of the database: roll samples up, then delete what has aged out, in small
// batches so that ingest never waits long. STUB: implemented by the history/retention work.
import type { Logger } from './log.js';
import type { Db } from './store/db.js';

export interface MaintenanceOptions {
  db: Db;
  /** Unix seconds. */
  now: () => number;
  log: Logger;
  /** Raw samples older than this many seconds are deleted (after being rolled up). */
  retentionSeconds: number;
  /** Hourly rollups older than this many seconds are deleted. */
  rollupRetentionSeconds: number;
}

export interface MaintenanceReport {
  /** True when nothing is left to do right now. */
  idle: boolean;
}

export interface Maintenance {
  /** One bounded step of work (a few short transactions). */
  runOnce(): Promise<MaintenanceReport>;
  /** Steps until idle (for `fleetmon-backend maintenance` and tests). */
  runUntilIdle(): Promise<void>;
}

export function createMaintenance(_options: MaintenanceOptions): Maintenance {
  return {
    runOnce: async () => ({ idle: true }),
    runUntilIdle: async () => {},
  };
}
