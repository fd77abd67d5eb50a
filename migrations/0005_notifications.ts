// Notifications: the outbox of messages owed to receivers (written in the same transaction as the
// alert they announce), the lease that lets one backend at a time work it, and silences.
import { type Kysely, sql } from 'kysely';
import { realType, rowIdColumn, rowIdType } from './dialect.js';

// Kysely<any>: a migration sees the database as it was then, not the app's current types.
export async function up(db: Kysely<any>): Promise<void> {
  const real = realType(db);
  await db.schema
    .createTable('notifications')
    .addColumn('id', rowIdType(db), rowIdColumn(db))
    .addColumn('receiver', 'text', (c) => c.notNull())
    // firing / resolved / reminder (a repeat while the problem stays open)
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('firing', 'resolved', 'reminder')`))
    // Messages of one group (a route's group_by: `device=db-1`, `rule=cpu_high`) go out together; null: alone.
    .addColumn('group_key', 'text')
    // The alert announced: the fired alert for firing and reminder, the recovery for resolved.
    .addColumn('alert_id', rowIdType(db), (c) => c.notNull().references('alerts.id'))
    // The fired alert the problem started with (equal to alert_id except for resolved).
    .addColumn('problem_alert_id', rowIdType(db), (c) => c.notNull().references('alerts.id'))
    .addColumn('created_at', real, (c) => c.notNull())
    // pending: owed; sent: the receiver accepted it; silenced: held back by a silence.
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'sent', 'silenced')`))
    .addColumn('next_attempt_at', real, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('sent_at', real)
    .execute();
  // The sender takes each receiver's oldest pending row and counts what it sent lately (rate
  // limit); reminders look up a problem's last row; GET /notifications lists by status.
  await db.schema.createIndex('notifications_receiver_status').on('notifications').columns(['receiver', 'status', 'id']).execute();
  await db.schema.createIndex('notifications_receiver_sent').on('notifications').columns(['receiver', 'sent_at']).execute();
  await db.schema.createIndex('notifications_problem').on('notifications').columns(['problem_alert_id', 'receiver']).execute();
  await db.schema.createIndex('notifications_status').on('notifications').columns(['status', 'id']).execute();

  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('expires_at', real, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('silences')
    .addColumn('id', rowIdType(db), rowIdColumn(db))
    // Matchers; null matches anything. device is a glob.
    .addColumn('device', 'text')
    .addColumn('rule', 'text')
    .addColumn('subject', 'text')
    .addColumn('severity', 'text')
    .addColumn('starts_at', real, (c) => c.notNull())
    .addColumn('ends_at', real, (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('author', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', real, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('silences_ends_at').on('silences').columns(['ends_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('silences').execute();
  await db.schema.dropTable('leases').execute();
  await db.schema.dropTable('notifications').execute();
}
