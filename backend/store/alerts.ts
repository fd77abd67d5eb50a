// Alerts (every fired and recovered alert, kept forever) and alert_state (what is open now).
import type { Db } from './db.js';
import type { AlertRow, NewAlert, Severity } from './schema.js';
import type { ActiveAlert, AlertState, Evaluation, Transition } from '../alerts/engine.js';

export async function insertAlert(db: Db, alert: NewAlert): Promise<number> {
  const row = await db.insertInto('alerts').values(alert).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/**
 * How many alerts were ever stored. Alert ids are AUTOINCREMENT and alerts are never deleted,
 * so the highest id is the count, read from the primary key instead of scanning the table.
 */
export interface AlertFilter {
  device?: string | undefined;
  severity?: string | undefined;
  rule?: string | undefined;
  /** Inclusive lower and exclusive upper bound on the alert's timestamp. */
  since?: number | undefined;
  until?: number | undefined;
  /** Only alerts older than this one (paging backwards through history). */
  before?: { timestamp: number; id: number } | undefined;
  limit: number;
}

/** The most recent alerts matching a filter, newest first (the caller pages and reorders). */
export const filteredAlertsQuery = (db: Db, f: AlertFilter) => {
  let q = db.selectFrom('alerts').selectAll();
  if (f.device !== undefined) q = q.where('device_id', '=', f.device);
  if (f.severity !== undefined) q = q.where('severity', '=', f.severity as AlertRow['severity']);
  if (f.rule !== undefined) q = q.where('rule', '=', f.rule);
  if (f.since !== undefined) q = q.where('timestamp', '>=', f.since);
  if (f.until !== undefined) q = q.where('timestamp', '<', f.until);
  const before = f.before;
  if (before) {
    q = q.where((eb) => eb.or([eb('timestamp', '<', before.timestamp), eb.and([eb('timestamp', '=', before.timestamp), eb('id', '<', before.id)])]));
  }
  return q.orderBy('timestamp', 'desc').orderBy('id', 'desc').limit(f.limit);
};

export interface OpenProblem {
  device_id: string;
  rule: string;
  subject: string;
  since: number;
  value: number | null;
  threshold: number | null;
  alert_id: number;
  alert: string;
  severity: AlertRow['severity'];
}

/**
 * What is wrong right now, from alert_state (not guessed from alert texts), oldest problem first;
 * problems of one device and moment in the order they fired (SQLite and PostgreSQL alike).
 */
export const openProblemsQuery = (db: Db, device?: string) => {
  let q = db
    .selectFrom('alert_state')
    .innerJoin('alerts', 'alerts.id', 'alert_state.alert_id')
    .select(['alert_state.device_id', 'alert_state.rule', 'alert_state.subject', 'alert_state.since', 'alert_state.value', 'alert_state.threshold', 'alert_state.alert_id', 'alerts.alert', 'alerts.severity']);
  if (device !== undefined) q = q.where('alert_state.device_id', '=', device);
  return q.orderBy('alert_state.since').orderBy('alert_state.device_id').orderBy('alert_state.alert_id');
};

export async function openProblems(db: Db, device?: string): Promise<OpenProblem[]> {
  return openProblemsQuery(db, device).execute();
}

export const alertsEverStoredQuery = (db: Db) => db.selectFrom('alerts').select((eb) => eb.fn.max('id').as('n'));

export async function countAlertsEverStored(db: Db): Promise<number> {
  const row = await alertsEverStoredQuery(db).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export const activeAlertsQuery = (db: Db, deviceId: string) =>
  db.selectFrom('alert_state').select(['rule', 'subject', 'since']).where('device_id', '=', deviceId);

export async function alertStateOf(db: Db, deviceId: string): Promise<AlertState> {
  const [active, pending] = await Promise.all([
    activeAlertsQuery(db, deviceId).execute(),
    db.selectFrom('alert_pending').select(['rule', 'subject', 'since']).where('device_id', '=', deviceId).execute(),
  ]);
  return { active, pending };
}

/** The alert row a transition stores. */
export const alertRowOf = (deviceId: string, t: Transition, timestamp: number, sampleId: number | null): Omit<AlertRow, 'id'> => ({
  device_id: deviceId,
  timestamp,
  alert: t.alert,
  severity: t.severity,
  kind: t.kind,
  rule: t.rule,
  subject: t.subject,
  value: t.value,
  threshold: t.threshold,
  sample_id: sampleId,
});

/** The problem a stored transition belongs to: its own for a fired one, the one it ends (if open) for a recovery. */
export function problemOf(
  t: Transition,
  alertId: number,
  timestamp: number,
  opened: { id: number; alert: string; severity: Severity; since: number } | undefined,
): StoredTransition['problem'] | undefined {
  if (t.kind === 'fired') return { alertId, alert: t.alert, severity: t.severity, since: t.since ?? timestamp };
  return opened && { alertId: opened.id, alert: opened.alert, severity: opened.severity, since: opened.since };
}

/** A transition as stored, with the problem it belongs to (what notifications announce). */
export interface StoredTransition {
  transition: Transition;
  alertId: number;
  /** The fired alert that opened the problem (alertId itself for a fired transition). */
  problem: { alertId: number; alert: string; severity: Severity; since: number };
}

/**
 * Record what the engine decided for a device: alerts stored, open problems and waits updated.
 * Returns the stored transitions with their problems (a recovery's with the alert it ends, read
 * before its open row is removed).
 */
export async function applyEvaluation(db: Db, deviceId: string, evaluation: Evaluation, timestamp: number, sampleId: number | null): Promise<StoredTransition[]> {
  for (const p of evaluation.pendingEnded) await removeRow(db, 'alert_pending', deviceId, p);
  for (const p of evaluation.pendingStarted) await db.insertInto('alert_pending').values({ device_id: deviceId, ...p }).execute();
  const stored: StoredTransition[] = [];
  for (const t of evaluation.transitions) {
    const opened =
      t.kind === 'recovered'
        ? await db
            .selectFrom('alert_state')
            .innerJoin('alerts', 'alerts.id', 'alert_state.alert_id')
            .select(['alerts.id', 'alerts.alert', 'alerts.severity', 'alert_state.since'])
            .where('alert_state.device_id', '=', deviceId)
            .where('alert_state.rule', '=', t.rule)
            .where('alert_state.subject', '=', t.subject)
            .executeTakeFirst()
        : undefined;
    const alertId = await insertAlert(db, alertRowOf(deviceId, t, timestamp, sampleId));
    if (t.kind === 'fired') {
      await db
        .insertInto('alert_state')
        .values({ device_id: deviceId, rule: t.rule, subject: t.subject, since: t.since ?? timestamp, alert_id: alertId, value: t.value, threshold: t.threshold })
        .execute();
    } else {
      await removeRow(db, 'alert_state', deviceId, t);
    }
    const problem = problemOf(t, alertId, timestamp, opened);
    // A recovery of nothing open (it cannot happen: the engine recovers only what is open) announces nothing.
    if (problem) stored.push({ transition: t, alertId, problem });
  }
  return stored;
}

async function removeRow(db: Db, table: 'alert_state' | 'alert_pending', deviceId: string, key: Pick<ActiveAlert, 'rule' | 'subject'>): Promise<void> {
  await db.deleteFrom(table).where('device_id', '=', deviceId).where('rule', '=', key.rule).where('subject', '=', key.subject).execute();
}

/** Forget a device's open problems and waits (DELETE /devices/:id); its alert history stays. */
export async function clearAlertStateOf(db: Db, deviceId: string): Promise<void> {
  await db.deleteFrom('alert_state').where('device_id', '=', deviceId).execute();
  await db.deleteFrom('alert_pending').where('device_id', '=', deviceId).execute();
}

/** The alerts a sample (samples.id) of a device, measured at `timestamp`, fired or recovered, in the order they were stored. */
export const alertsOfSample = (db: Db, s: { id: number; deviceId: string; timestamp: number }): Promise<AlertRow[]> =>
  // Found through alerts_device_time: sample_id has no index of its own.
  db.selectFrom('alerts').selectAll().where('device_id', '=', s.deviceId).where('timestamp', '=', s.timestamp).where('sample_id', '=', s.id).orderBy('id').execute();
