// Devices: one row per agent, with when it was first and last heard from, its reporting interval
// and its latest sample.
import type { Db } from './db.js';
import { smallerOf } from './dialect.js';
import type { DeviceRow } from './schema.js';

export async function findDevice(db: Db, id: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Record that a device reported: created on first sight, otherwise its latest sample moves on. */
export async function recordDeviceSeen(db: Db, id: string, seenAt: number, sampleId: number, intervalSeconds: number | null): Promise<void> {
  await db
    .insertInto('devices')
    .values({ id, first_seen: seenAt, last_seen: seenAt, latest_sample_id: sampleId, interval_seconds: intervalSeconds })
    .onConflict((oc) => oc.column('id').doUpdateSet({ last_seen: seenAt, latest_sample_id: sampleId, interval_seconds: intervalSeconds }))
    .execute();
}

/** A sample measured before the device's latest one arrived late: it may only move first_seen back. */
export async function recordEarlierSample(db: Db, id: string, measuredAt: number): Promise<void> {
  await db
    .updateTable('devices')
    .set((eb) => ({ first_seen: smallerOf(db, eb.ref('first_seen'), eb.val(measuredAt)) }))
    .where('id', '=', id)
    .execute();
}

export async function countDevices(db: Db): Promise<number> {
  const row = await db.selectFrom('devices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface DeviceWithLatest extends DeviceRow {
  latest_timestamp: number | null;
  latest_payload: string | null;
  active_alerts: number;
}

/** Devices with their latest sample and count of open problems: one row each, by id. */
export const devicesWithLatestQuery = (db: Db) =>
  db
    .selectFrom('devices')
    .leftJoin('samples', 'samples.id', 'devices.latest_sample_id')
    .selectAll('devices')
    .select((eb) => [
      'samples.timestamp as latest_timestamp',
      'samples.payload as latest_payload',
      eb
        .selectFrom('alert_state')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('alert_state.device_id', '=', 'devices.id')
        .as('active_alerts'),
    ])
    .orderBy('devices.id');

export async function devicesWithLatest(db: Db, id?: string): Promise<DeviceWithLatest[]> {
  const query = id === undefined ? devicesWithLatestQuery(db) : devicesWithLatestQuery(db).where('devices.id', '=', id);
  const rows = await query.execute();
  return rows.map((r) => ({ ...r, active_alerts: Number(r.active_alerts ?? 0) }));
}

/** Devices with no open alert of `rule`, with what the silence check needs to judge them. */
export async function devicesWithoutOpenAlert(db: Db, rule: string) {
  return db
    .selectFrom('devices')
    .select(['id', 'last_seen', 'interval_seconds'])
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('alert_state').select('rule').whereRef('alert_state.device_id', '=', 'devices.id').where('alert_state.rule', '=', rule))),
    )
    .execute();
}

/** Forget a device (its history stays); false if there was none. */
export async function deleteDevice(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('devices').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
