// Delivery without loss: agents give each sample an id and retry until it is acknowledged, so the
// same sample may arrive twice. A sample is stored once per (device, sample id); samples from
// agents that send no id (the original's) are unaffected.
import { type Kysely, sql } from 'kysely';

// Kysely<any>: a migration sees the database as it was then, not the app's current types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('samples').addColumn('sample_id', 'text').execute();
  await db.schema
    .createIndex('samples_device_sample_id')
    .unique()
    .on('samples')
    .columns(['device_id', 'sample_id'])
    .where(sql.ref('sample_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('samples_device_sample_id').execute();
  await db.schema.alterTable('samples').dropColumn('sample_id').execute();
}
