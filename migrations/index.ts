// Every migration, listed explicitly so the Migrator works inside a compiled or bundled build
// (no directory scanning). Append new files here; never edit or reorder landed ones.
import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_sample_identity.js';
import * as m0003 from './0003_fleet_state_and_history.js';
import * as m0004 from './0004_tokens.js';
import * as m0005 from './0005_notifications.js';
import * as m0006 from './0006_flapping.js';
import * as m0007 from './0007_sample_blocks.js';
import * as m0008 from './0008_rollups_without_time_index.js';

export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_sample_identity': m0002,
  '0003_fleet_state_and_history': m0003,
  '0004_tokens': m0004,
  '0005_notifications': m0005,
  '0006_flapping': m0006,
  '0007_sample_blocks': m0007,
  '0008_rollups_without_time_index': m0008,
};
