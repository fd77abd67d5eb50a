// Flapping: a problem that fires and clears many times in a short window is "flapping"; while it
// is, its messages are held back and receivers get one `flapping` message instead. The
// notifications table gains that kind (SQLite cannot change a check constraint in place: the
// table is rebuilt, its rows and indexes kept), and `flapping` lists what flaps now.
import { type Kysely, sql } from 'kysely';
import { isPostgres, realType } from './dialect.js';

async function rebuildNotifications(db: Kysely<any>, kinds: readonly string[]): Promise<void> {
  const allowed = sql.join(kinds.map((k) => sql.lit(k)));
  if (isPostgres(db)) {
    // PostgreSQL changes the constraint in place (named by PostgreSQL after table and column).
    await sql`delete from notifications where kind not in (${allowed})`.execute(db);
    await sql`alter table notifications drop constraint notifications_kind_check`.execute(db);
    await sql`alter table notifications add constraint notifications_kind_check check (kind in (${allowed}))`.execute(db);
    return;
  }
  await db.schema
    .createTable('notifications_rebuilt')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('receiver', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in (${allowed})`))
    .addColumn('group_key', 'text')
    .addColumn('alert_id', 'integer', (c) => c.notNull().references('alerts.id'))
    .addColumn('problem_alert_id', 'integer', (c) => c.notNull().references('alerts.id'))
    .addColumn('created_at', 'real', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'sent', 'silenced')`))
    .addColumn('next_attempt_at', 'real', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'real')
    .execute();
  await sql`insert into notifications_rebuilt select * from notifications where kind in (${allowed})`.execute(db);
  await db.schema.dropTable('notifications').execute();
  await db.schema.alterTable('notifications_rebuilt').renameTo('notifications').execute();
  await db.schema.createIndex('notifications_receiver_status').on('notifications').columns(['receiver', 'status', 'id']).execute();
  await db.schema.createIndex('notifications_receiver_sent').on('notifications').columns(['receiver', 'sent_at']).execute();
  await db.schema.createIndex('notifications_problem').on('notifications').columns(['problem_alert_id', 'receiver']).execute();
  await db.schema.createIndex('notifications_status').on('notifications').columns(['status', 'id']).execute();
}

// Kysely<any>: a migration sees the database as it was then, not the app's current types.
export async function up(db: Kysely<any>): Promise<void> {
  await rebuildNotifications(db, ['firing', 'resolved', 'reminder', 'flapping']);
  await db.schema
    .createTable('flapping')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    // When it was found flapping, Unix seconds.
    .addColumn('since', realType(db), (c) => c.notNull())
    .addPrimaryKeyConstraint('flapping_pk', ['device_id', 'rule', 'subject'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('flapping').execute();
  await rebuildNotifications(db, ['firing', 'resolved', 'reminder']);
}
