// Alerts (every fired and recovered alert, kept forever) and alert_state (what is open now).
import type { Db } from './db.js';
import type { AlertRow, NewAlert } from './schema.js';
import type { ActiveAlert } from '../alerts/engine.js';

export async function insertAlert(db: Db, alert: NewAlert): Promise<number> {
  const row = await db.insertInto('alerts').values(alert).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export const recentAlertsQuery = (db: Db, limit: number) =>
  db.selectFrom('alerts').selectAll().orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(limit);

/** The `limit` most recent alerts, returned oldest first (as the original API lists them). */
export async function recentAlerts(db: Db, limit: number): Promise<AlertRow[]> {
  return (await recentAlertsQuery(db, limit).execute()).reverse();
}

/**
 * How many alerts were ever stored. Alert ids are AUTOINCREMENT and alerts are never deleted,
 * so the highest id is the count, read from the primary key instead of scanning the table.
 */
export const alertsEverStoredQuery = (db: Db) => db.selectFrom('alerts').select((eb) => eb.fn.max('id').as('n'));

export async function countAlertsEverStored(db: Db): Promise<number> {
  const row = await alertsEverStoredQuery(db).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export const activeAlertsQuery = (db: Db, deviceId: string) =>
  db.selectFrom('alert_state').select(['rule', 'subject', 'since']).where('device_id', '=', deviceId);

export async function activeAlertsOf(db: Db, deviceId: string): Promise<ActiveAlert[]> {
  return activeAlertsQuery(db, deviceId).execute();
}

export async function openAlertState(
  db: Db,
  state: { device_id: string; rule: string; subject: string; since: number; alert_id: number; value: number | null; threshold: number | null },
): Promise<void> {
  await db.insertInto('alert_state').values(state).execute();
}

export async function closeAlertState(db: Db, deviceId: string, rule: string, subject: string): Promise<void> {
  await db
    .deleteFrom('alert_state')
    .where('device_id', '=', deviceId)
    .where('rule', '=', rule)
    .where('subject', '=', subject)
    .execute();
}
