// The outbox: messages owed to receivers, written in the transaction that stores their alert, and
// worked by the sender (backend/notify/sender.ts) in id order per receiver.
import type { NotifyConfig } from '../notify/config.js';
import { type Delivery, receiversFor } from '../notify/routing.js';
import { isSilenced } from '../notify/silence.js';
import type { StoredTransition } from './alerts.js';
import type { Db } from './db.js';
import type { NewNotification, NotificationKind, NotificationRow, NotificationStatus } from './schema.js';
import { activeSilences } from './silences.js';
import { flapDecision } from '../notify/flapping.js';

type Problem = { device_id: string; rule: string; subject: string };

/** State changes (fired or recovered) of a problem with times in (from, to]. */
export async function flapChanges(db: Db, p: Problem, from: number, to: number): Promise<number> {
  const found = await db
    .selectFrom('alerts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('device_id', '=', p.device_id)
    .where('timestamp', '>', from)
    .where('timestamp', '<=', to)
    .where('rule', '=', p.rule)
    .where('subject', '=', p.subject)
    .executeTakeFirstOrThrow();
  return Number(found.n);
}

const isFlapping = async (db: Db, p: Problem): Promise<boolean> =>
  (await db.selectFrom('flapping').select('since').where('device_id', '=', p.device_id).where('rule', '=', p.rule).where('subject', '=', p.subject).executeTakeFirst()) !== undefined;

/** What flaps now. */
export const flappingNow = (db: Db) => db.selectFrom('flapping').selectAll().execute();

/**
 * A flapping problem settled: it flaps no more, and its receivers get one message with where it
 * ended, firing if it is open, recovered if it is not (unless they said send_resolved: false).
 */
export async function settleFlapping(db: Db, p: Problem, now: number, config: NotifyConfig): Promise<number> {
  await db.deleteFrom('flapping').where('device_id', '=', p.device_id).where('rule', '=', p.rule).where('subject', '=', p.subject).execute();
  const ofProblem = db.selectFrom('alerts').selectAll().where('device_id', '=', p.device_id).where('rule', '=', p.rule).where('subject', '=', p.subject);
  const last = await ofProblem.orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!last) return 0;
  const fired = last.kind === 'fired' ? last : await ofProblem.where('kind', '=', 'fired').where('id', '<', last.id).orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!fired) return 0;
  const routed = { deviceId: p.device_id, rule: p.rule, subject: p.subject, severity: fired.severity };
  const status = isSilenced(routed, await activeSilences(db, now), now) ? 'silenced' : 'pending';
  const rows = receiversFor(routed, config.routes)
    .filter((d) => last.kind === 'fired' || config.receivers.get(d.receiver)?.sendResolved !== false)
    .map((d) => row({ ...d, groupKey: null }, last.kind === 'fired' ? 'firing' : 'resolved', last.id, fired.id, now, now, status));
  if (rows.length > 0) await db.insertInto('notifications').values(rows).execute();
  return rows.length;
}

/**
 * The notifications a device's stored transitions owe, inside the caller's transaction. A fired
 * alert goes to the receivers its routes pick (held as `silenced` while a silence matches); a
 * recovery goes to the receivers that were told of the problem, unless they turned send_resolved off.
 */
export async function enqueueNotifications(db: Db, deviceId: string, stored: readonly StoredTransition[], now: number, config: NotifyConfig): Promise<number> {
  if (stored.length === 0 || config.routes.length === 0) return 0;
  const silences = await activeSilences(db, now);
  const rows: NewNotification[] = [];
  let written = 0;
  for (const { transition: t, alertId, problem } of stored) {
    const routed = { deviceId, rule: t.rule, subject: t.subject, severity: problem.severity };
    const silenced = isSilenced(routed, silences, now);
    if (config.flap.threshold > 0) {
      const key = { device_id: deviceId, rule: t.rule, subject: t.subject };
      const decision = flapDecision(await flapChanges(db, key, now - config.flap.windowSeconds, now), await isFlapping(db, key), config.flap);
      if (decision === 'starts') {
        await db.insertInto('flapping').values({ ...key, since: now }).execute();
        // One message that it flaps, alone and at once; what it does next is held until it settles.
        for (const d of receiversFor(routed, config.routes)) rows.push(row({ ...d, groupKey: null }, 'flapping', alertId, problem.alertId, now, now, silenced ? 'silenced' : 'pending'));
        continue;
      }
      if (decision === 'goes on') continue;
      if (decision === 'settles') {
        // Its changes aged out of the window before the sender looked: this transition is where it settled.
        // Rows before it first, so that ids keep the order of the transitions.
        written += rows.length;
        if (rows.length > 0) await db.insertInto('notifications').values(rows.splice(0)).execute();
        written += await settleFlapping(db, key, now, config);
        continue;
      }
    }
    if (t.kind === 'fired') {
      for (const d of receiversFor(routed, config.routes)) rows.push(row(d, 'firing', alertId, alertId, now, await dueAt(db, d, now), silenced ? 'silenced' : 'pending'));
      continue;
    }
    const routedNow = receiversFor(routed, config.routes);
    // Told of the problem: a row that was (or will be) sent; a problem held back by a silence ends untold.
    const told = await db
      .selectFrom('notifications')
      .select('receiver')
      .distinct()
      .where('problem_alert_id', '=', problem.alertId)
      .where('status', 'in', ['pending', 'sent'])
      .execute();
    for (const { receiver } of told) {
      if (config.receivers.get(receiver)?.sendResolved === false) continue;
      // Grouped as the route that picks the receiver now groups (alone if none does any more).
      const d = routedNow.find((x) => x.receiver === receiver) ?? { receiver, groupKey: null, groupWaitSeconds: 0, groupIntervalSeconds: 0 };
      rows.push(row(d, 'resolved', alertId, problem.alertId, now, await dueAt(db, d, now), silenced ? 'silenced' : 'pending'));
    }
  }
  if (rows.length > 0) await db.insertInto('notifications').values(rows).execute();
  return written + rows.length;
}

type Destination = Pick<Delivery, 'receiver' | 'groupKey' | 'groupWaitSeconds' | 'groupIntervalSeconds'>;

/**
 * When a message may first go (Alertmanager's timing): alone, now; the first of a group waits
 * group_wait for others to join it; one that joins a group which had a message within the last
 * group_interval goes with the group's next message, group_interval after its previous one.
 */
async function dueAt(db: Db, d: Destination, now: number): Promise<number> {
  if (d.groupKey === null) return now;
  const last = await db
    .selectFrom('notifications')
    .select('sent_at')
    .where('receiver', '=', d.receiver)
    .where('group_key', '=', d.groupKey)
    .where('sent_at', '>', now - d.groupIntervalSeconds)
    .orderBy('sent_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return last?.sent_at != null ? last.sent_at + d.groupIntervalSeconds : now + d.groupWaitSeconds;
}

const row = (d: Destination, kind: NotificationKind, alertId: number, problemAlertId: number, now: number, dueAtTime: number, status: NotificationStatus): NewNotification => ({
  receiver: d.receiver,
  kind,
  group_key: d.groupKey,
  alert_id: alertId,
  problem_alert_id: problemAlertId,
  created_at: now,
  status,
  next_attempt_at: dueAtTime,
});

/**
 * A receiver's oldest message not yet sent: delivery is in order, so it blocks the ones after it
 * (a failed one until its retry). A grouped message still waiting for its group's turn
 * (group_wait, group_interval) does not hold up the others.
 */
export const oldestPendingQuery = (db: Db, receiver: string, now: number) =>
  db
    .selectFrom('notifications')
    .selectAll()
    .where('receiver', '=', receiver)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('group_key', 'is', null), eb('attempts', '>', 0), eb('next_attempt_at', '<=', now)]))
    .orderBy('id')
    .limit(1);

/** The pending messages of one group of a receiver, oldest first: they go out as one. */
export const pendingOfGroup = (db: Db, receiver: string, groupKey: string, limit: number): Promise<NotificationRow[]> =>
  db.selectFrom('notifications').selectAll().where('receiver', '=', receiver).where('status', '=', 'pending').where('group_key', '=', groupKey).orderBy('id').limit(limit).execute();

export const oldestPending = (db: Db, receiver: string, now: number): Promise<NotificationRow | undefined> => oldestPendingQuery(db, receiver, now).executeTakeFirst();

export async function markSent(db: Db, id: number, now: number): Promise<void> {
  await db.updateTable('notifications').set((eb) => ({ status: 'sent', sent_at: now, attempts: eb('attempts', '+', 1), last_error: null })).where('id', '=', id).execute();
}

export async function markFailed(db: Db, id: number, error: string, nextAttemptAt: number): Promise<void> {
  await db
    .updateTable('notifications')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 1000), next_attempt_at: nextAttemptAt }))
    .where('id', '=', id)
    .execute();
}

/** How many messages a receiver was sent since a time (its rate limit). */
export const sentSinceQuery = (db: Db, receiver: string, since: number) =>
  // Only a sent row has a sent_at.
  db.selectFrom('notifications').select((eb) => eb.fn.countAll<number>().as('n')).where('receiver', '=', receiver).where('sent_at', '>', since);

export async function sentSince(db: Db, receiver: string, since: number): Promise<number> {
  return Number((await sentSinceQuery(db, receiver, since).executeTakeFirstOrThrow()).n);
}

/** What a notice is made of: the row with its alert and the problem's fired alert. */
export async function noticeParts(db: Db, n: NotificationRow) {
  const [alert, problem, state] = await Promise.all([
    db.selectFrom('alerts').selectAll().where('id', '=', n.alert_id).executeTakeFirstOrThrow(),
    db.selectFrom('alerts').selectAll().where('id', '=', n.problem_alert_id).executeTakeFirstOrThrow(),
    db.selectFrom('alert_state').select('since').where('alert_id', '=', n.problem_alert_id).executeTakeFirst(),
  ]);
  return { alert, problem, since: state?.since ?? problem.timestamp };
}

/** Problems open now, with their fired alert, for reminders and for silences that ended. */
export const openProblemAlerts = (db: Db) =>
  db
    .selectFrom('alert_state')
    .innerJoin('alerts', 'alerts.id', 'alert_state.alert_id')
    .select(['alert_state.device_id', 'alert_state.rule', 'alert_state.subject', 'alert_state.since', 'alerts.severity', 'alert_state.alert_id'])
    .execute();

/** The newest message of a problem to a receiver. */
export const lastNotificationQuery = (db: Db, problemAlertId: number, receiver: string) =>
  db.selectFrom('notifications').selectAll().where('problem_alert_id', '=', problemAlertId).where('receiver', '=', receiver).orderBy('id', 'desc').limit(1);

export const lastNotificationOf = (db: Db, problemAlertId: number, receiver: string) => lastNotificationQuery(db, problemAlertId, receiver).executeTakeFirst();

export async function insertNotification(db: Db, n: NewNotification): Promise<void> {
  await db.insertInto('notifications').values(n).execute();
}

/** Held back by a silence that has ended, problem still open: owed now. */
export async function releaseSilenced(db: Db, id: number, now: number): Promise<void> {
  await db.updateTable('notifications').set({ status: 'pending', next_attempt_at: now }).where('id', '=', id).execute();
}

export interface NotificationFilter {
  status?: NotificationStatus | 'failing' | undefined;
  receiver?: string | undefined;
  /** Only rows with a smaller id (paging backwards). */
  beforeId?: number | undefined;
  limit: number;
}

/** The outbox, newest first; `failing` is pending with at least one failed attempt. */
export const listNotifications = (db: Db, f: NotificationFilter) => listNotificationsQuery(db, f).execute();

export function listNotificationsQuery(db: Db, f: NotificationFilter) {
  let q = db
    .selectFrom('notifications')
    .innerJoin('alerts', 'alerts.id', 'notifications.alert_id')
    .select([
      'notifications.id',
      'notifications.receiver',
      'notifications.kind',
      'notifications.status',
      'notifications.alert_id',
      'notifications.problem_alert_id',
      'notifications.created_at',
      'notifications.next_attempt_at',
      'notifications.attempts',
      'notifications.last_error',
      'notifications.sent_at',
      'alerts.device_id',
      'alerts.alert',
      'alerts.rule',
      'alerts.subject',
    ]);
  if (f.status === 'failing') q = q.where('notifications.status', '=', 'pending').where('notifications.attempts', '>', 0);
  else if (f.status !== undefined) q = q.where('notifications.status', '=', f.status);
  if (f.receiver !== undefined) q = q.where('notifications.receiver', '=', f.receiver);
  if (f.beforeId !== undefined) q = q.where('notifications.id', '<', f.beforeId);
  return q.orderBy('notifications.id', 'desc').limit(f.limit);
}

/**
 * Take or keep a named lease until `now + ttl`. It is ours if nobody holds it, it expired, we hold
 * it, or its holder is known dead (`holderDead`: a process on this machine that is gone). Returns
 * whether we hold it now.
 */
export async function takeLease(db: Db, name: string, owner: string, now: number, ttlSeconds: number, holderDead: (owner: string) => boolean): Promise<boolean> {
  const held = await db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
  if (held && held.owner !== owner && held.expires_at > now && !holderDead(held.owner)) return false;
  await db
    .insertInto('leases')
    .values({ name, owner, expires_at: now + ttlSeconds })
    .onConflict((oc) => oc.column('name').doUpdateSet({ owner, expires_at: now + ttlSeconds }))
    .execute();
  return true;
}

export async function releaseLease(db: Db, name: string, owner: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('owner', '=', owner).execute();
}

/** Receivers that are owed messages but are not in the notifications file (renamed or removed). */
export async function pendingForUnknownReceivers(db: Db, known: readonly string[]): Promise<{ receiver: string; n: number }[]> {
  let q = db.selectFrom('notifications').select(['receiver', (eb) => eb.fn.countAll<number>().as('n')]).where('status', '=', 'pending');
  if (known.length > 0) q = q.where('receiver', 'not in', known);
  return q.groupBy('receiver').execute();
}

/** Per receiver: notifications waiting to be sent, and how many of those have failed at least once. */
export const outboxDepthQuery = (db: Db) =>
  db
    .selectFrom('notifications')
    .select((eb) => ['receiver', eb.fn.countAll<number>().as('pending'), eb.fn.sum<number>(eb.case().when('attempts', '>', 0).then(1).else(0).end()).as('failing')])
    .where('status', '=', 'pending')
    .groupBy('receiver');
