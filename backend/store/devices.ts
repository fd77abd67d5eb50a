// Devices: one row per agent, with when it was first and last heard from and its latest sample.
import type { Db } from './db.js';
import type { DeviceRow } from './schema.js';

export async function findDevice(db: Db, id: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Record that a device reported: created on first sight, otherwise its latest sample moves on. */
export async function recordDeviceSeen(db: Db, id: string, seenAt: number, sampleId: number): Promise<void> {
  await db
    .insertInto('devices')
    .values({ id, first_seen: seenAt, last_seen: seenAt, latest_sample_id: sampleId })
    .onConflict((oc) => oc.column('id').doUpdateSet({ last_seen: seenAt, latest_sample_id: sampleId }))
    .execute();
}

/** A sample measured before the device's latest one arrived late: it may only move first_seen back. */
export async function recordEarlierSample(db: Db, id: string, measuredAt: number): Promise<void> {
  await db
    .updateTable('devices')
    .set((eb) => ({ first_seen: eb.fn('min', [eb.ref('first_seen'), eb.val(measuredAt)]) }))
    .where('id', '=', id)
    .execute();
}

export async function countDevices(db: Db): Promise<number> {
  const row = await db.selectFrom('devices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
