// Authentication: API tokens, managed with `fleetmon-backend token add|list|revoke`.
// - role: 'agent' may only send samples for its own device; 'admin' may do everything;
//   'read' may read the API once read tokens exist;
// - only a hash of the secret is kept, so a copy of the database file gives no usable token;
// - revoked tokens stay (revoked_at set) so `token list` can show what was revoked and when.
import { type Kysely, sql } from 'kysely';
import { realType } from './dialect.js';

// Kysely<any>: a migration sees the database as it was then, not the app's current types.
export async function up(db: Kysely<any>): Promise<void> {
  const real = realType(db);
  await db.schema
    .createTable('tokens')
    // Short public id, the part of the token string before the secret; `token revoke <id>` takes it.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('agent', 'admin', 'read')`))
    // The one device an agent token may write; only agent tokens are bound to a device.
    .addColumn('device_id', 'text')
    .addColumn('name', 'text')
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', real, (c) => c.notNull())
    .addColumn('revoked_at', real)
    .addCheckConstraint('tokens_agent_device', sql`(role = 'agent') = (device_id is not null)`)
    .execute();
  // Every request asks whether valid tokens (of a role) exist.
  await db.schema
    .createIndex('tokens_valid_role')
    .on('tokens')
    .column('role')
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('tokens_valid_role').execute();
  await db.schema.dropTable('tokens').execute();
}
