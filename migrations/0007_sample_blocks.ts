// Packed samples: older raw samples of a device move, one hour at a time, from `samples` rows into
// one compressed block (backend/samples/pack.ts), about 20 times smaller. Recent samples stay rows;
// the maintenance pass packs the rest, a device-hour per short transaction, rows of a database from
// before this migration included, so nothing is rewritten here.
import type { Kysely } from 'kysely';
import { blobType, realType } from './dialect.js';

// Kysely<any>: a migration sees the database as it was then, not the app's current types.
export async function up(db: Kysely<any>): Promise<void> {
  const real = realType(db);
  await db.schema
    .createTable('sample_blocks')
    .addColumn('device_id', 'text', (c) => c.notNull())
    // Start of the hour its samples were measured in, Unix seconds.
    .addColumn('hour', real, (c) => c.notNull())
    // Earliest and latest sample time in it, and how many samples it holds.
    .addColumn('first_time', real, (c) => c.notNull())
    .addColumn('last_time', real, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('data', blobType(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('sample_blocks_pk', ['device_id', 'hour'])
    .execute();
  // Rollups and retention walk blocks by time across all devices.
  await db.schema.createIndex('sample_blocks_hour').on('sample_blocks').columns(['hour']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sample_blocks').execute();
}
