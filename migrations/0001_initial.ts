// The first schema. Plain names and Unix-seconds REAL timestamps so that `sqlite3 monitor.sqlite`
// reads naturally; the full payload is JSON TEXT so json_extract() reaches every field.
// Migrations never import the app's types: they must keep compiling as the app changes.
import { type Kysely, sql } from 'kysely';
import { isPostgres, realType, rowIdColumn, rowIdType } from './dialect.js';

// Kysely<any>: a migration sees the database as it was then, not the app's current types.
export async function up(db: Kysely<any>): Promise<void> {
  const real = realType(db);
  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('first_seen', real, (c) => c.notNull())
    .addColumn('last_seen', real, (c) => c.notNull())
    .addColumn('latest_sample_id', rowIdType(db))
    .execute();

  await db.schema
    .createTable('samples')
    .addColumn('id', rowIdType(db), rowIdColumn(db))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('timestamp', real, (c) => c.notNull())
    .addColumn('received_at', real, (c) => c.notNull())
    .addColumn('cpu_percent', real)
    .addColumn('memory_percent', real)
    .addColumn('swap_percent', real)
    .addColumn('payload', 'text', (c) => c.notNull().check(isPostgres(db) ? sql`payload::json is not null` : sql`json_valid(payload)`))
    .execute();
  await db.schema.createIndex('samples_device_time').on('samples').columns(['device_id', 'timestamp']).execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', rowIdType(db), rowIdColumn(db))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('timestamp', real, (c) => c.notNull())
    .addColumn('alert', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('critical', 'warning')`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('fired', 'recovered')`))
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('value', real)
    .addColumn('threshold', real)
    .addColumn('sample_id', rowIdType(db))
    .execute();
  await db.schema.createIndex('alerts_time').on('alerts').columns(['timestamp']).execute();
  await db.schema.createIndex('alerts_device_time').on('alerts').columns(['device_id', 'timestamp']).execute();

  // What is wrong right now: one row per open problem, per device and alert instance.
  await db.schema
    .createTable('alert_state')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('since', real, (c) => c.notNull())
    .addColumn('alert_id', rowIdType(db), (c) => c.notNull())
    .addColumn('value', real)
    .addColumn('threshold', real)
    .addPrimaryKeyConstraint('alert_state_pk', ['device_id', 'rule', 'subject'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('alert_state').execute();
  await db.schema.dropTable('alerts').execute();
  await db.schema.dropTable('samples').execute();
  await db.schema.dropTable('devices').execute();
}
