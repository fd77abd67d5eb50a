// The rollups time index goes: it repeated every rollup's key (resolution, bucket, device, series)
// and took 56 of the 256 bytes a sample cost on disk. Maintenance now walks time across devices
// through the primary key instead, one seek per device (backend/store/rollups.ts, rollupDeviceIds).
import type { Kysely } from 'kysely';

// Kysely<any>: a migration sees the database as it was then, not the app's current types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('rollups_resolution_bucket').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('rollups_resolution_bucket').on('rollups').columns(['resolution', 'bucket']).execute();
}
