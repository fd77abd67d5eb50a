// Fleet state and long-term history:
// - devices learn their reporting interval (to tell when one falls silent);
// - alert_pending holds problems waiting out a rule's `for:` duration, so a restart keeps the wait;
// - rollups keep 5-minute and 1-hour average/maximum of the headline values after raw samples age out;
// - maintenance remembers how far rollups have got.
import { type Kysely, sql } from 'kysely';
import { isPostgres, realType } from './dialect.js';

// Kysely<any>: a migration sees the database as it was then, not the app's current types.
export async function up(db: Kysely<any>): Promise<void> {
  const real = realType(db);
  await db.schema.alterTable('devices').addColumn('interval_seconds', real).execute();
  // Earliest sample time whose rollups must be recomputed (a sample arrived after its bucket was rolled up).
  await db.schema.alterTable('devices').addColumn('rollup_dirty_from', real).execute();

  // Retention and rollups walk samples by time across all devices.
  await db.schema.createIndex('samples_time').on('samples').columns(['timestamp']).execute();

  await db.schema
    .createTable('alert_pending')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('since', real, (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_pending_pk', ['device_id', 'rule', 'subject'])
    .execute();

  await db.schema
    .createTable('rollups')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('resolution', 'integer', (c) => c.notNull().check(sql`resolution in (300, 3600)`))
    .addColumn('bucket', real, (c) => c.notNull())
    .addColumn('series', 'text', (c) => c.notNull())
    .addColumn('avg', real, (c) => c.notNull())
    .addColumn('max', real, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rollups_pk', ['device_id', 'resolution', 'bucket', 'series'])
    // SQLite: the rows live in the primary key's b-tree (PostgreSQL has no such table kind).
    .$call((table) => (isPostgres(db) ? table : table.modifyEnd(sql`without rowid`)))
    .execute();
  await db.schema.createIndex('rollups_resolution_bucket').on('rollups').columns(['resolution', 'bucket']).execute();

  await db.schema
    .createTable('maintenance')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', real, (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('maintenance').execute();
  await db.schema.dropTable('rollups').execute();
  await db.schema.dropTable('alert_pending').execute();
  await db.schema.dropIndex('samples_time').execute();
  await db.schema.alterTable('devices').dropColumn('rollup_dirty_from').execute();
  await db.schema.alterTable('devices').dropColumn('interval_seconds').execute();
}
