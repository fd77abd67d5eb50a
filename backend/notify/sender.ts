// The sender: works the outbox. One backend at a time (a lease row in the database, renewed while
// it works), each receiver's messages in order, a failed one retried with exponential backoff (the
// ones after it wait), at most rate_limit per receiver, and a row marked sent only once its receiver
// accepted it. Each pass also owes reminders (repeat_interval) and releases what a silence that has
// ended held back, and escalates what has stayed open too long. Time comes from `now`, so tests drive passes with deliverDue() on their clock.
import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import {
  flapChanges,
  flappingNow,
  insertNotification,
  lastNotificationOf,
  markFailed,
  markSent,
  noticeParts,
  oldestPending,
  openProblemAlerts,
  pendingOfGroup,
  releaseLease,
  releaseSilenced,
  sentSince,
  settleFlapping,
  takeLease,
} from '../store/notifications.js';
import type { NotificationRow } from '../store/schema.js';
import { activeSilences } from '../store/silences.js';
import { type WriteOptions, writeTransaction } from '../store/write-transaction.js';
import type { NotifyConfig, ReceiverConfig } from './config.js';
import type { Batch, Notice } from './notice.js';
import { RECEIVER_KINDS } from './receivers/index.js';
import { flapDecision } from './flapping.js';
import { escalationsFor, receiversFor } from './routing.js';
import { isSilenced } from './silence.js';

export const SENDER_LEASE = 'notification-sender';

export interface DeliveryReport {
  /** False when another backend holds the lease: this one sent nothing. */
  leased: boolean;
  sent: number;
  failed: number;
  /** Reminder rows written this pass. */
  reminders: number;
  /** Messages to escalate_to receivers written this pass. */
  escalations: number;
  /** Flapping problems that settled this pass (each owes one message with where it ended). */
  settled: number;
  /** Rows a silence held back, owed again since it ended. */
  released: number;
}

export interface SenderOptions {
  db: Db;
  config: NotifyConfig;
  now: () => number;
  log: Logger;
  write: WriteOptions;
  /** Who holds the lease (leaseOwner()), so a backend on this host can tell its holder died. */
  owner?: string;
  leaseSeconds?: number;
  /** Most messages one receiver gets in one pass (the next pass goes on). */
  maxPerPass?: number;
  /** Send one notice to one receiver (tests may replace it); resolves once accepted. */
  send?: (receiver: ReceiverConfig, batch: Batch) => Promise<void>;
}

export interface Sender {
  deliverDue(): Promise<DeliveryReport>;
  /** Give the lease up (on a clean stop), so another backend takes over at once. */
  release(): Promise<void>;
  owner: string;
}

/** Seconds before attempt n+1 after n failures: 10 s doubling, at most an hour. */
export const backoffSeconds = (attempts: number): number => Math.min(10 * 2 ** Math.max(0, attempts - 1), 3600);

const LEASE_SECONDS = 60;

/** Most alerts one grouped message carries; the rest follow in the next. */
const MAX_GROUP = 50;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The process-id namespace this process lives in (Linux): containers on one host may share a host
 * name, and a pid means something only within its namespace. '' where it cannot be told.
 */
function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '';
  } catch {
    return '';
  }
}

/** Who holds the lease: host:pid:pid-namespace:token. */
export const leaseOwner = (): string => `${hostname()}:${process.pid}:${pidNamespace()}:${randomUUID().slice(0, 8)}`;

/**
 * A holder on this machine, in our pid namespace, whose process is gone will never renew: no need
 * to wait out its lease. Anywhere else (another host, another container) only expiry tells.
 */
export function holderIsDead(owner: string): boolean {
  const [host, pid, namespace] = owner.split(':');
  const ours = pidNamespace();
  if (host !== hostname() || ours === '' || namespace !== ours || pid === undefined || !/^\d+$/.test(pid) || Number(pid) === process.pid) return false;
  return !processAlive(Number(pid));
}

export function createSender(o: SenderOptions): Sender {
  const owner = o.owner ?? leaseOwner();
  const leaseSeconds = o.leaseSeconds ?? LEASE_SECONDS;
  const maxPerPass = o.maxPerPass ?? 100;
  const ctx = { externalUrl: o.config.externalUrl };
  const send = o.send ?? ((receiver: ReceiverConfig, batch: Batch) => RECEIVER_KINDS[receiver.kind].send(receiver.settings, batch, ctx));
  const lease = () => writeTransaction(o.db, (trx) => takeLease(trx, SENDER_LEASE, owner, o.now(), leaseSeconds, holderIsDead), o.write);

  /** Reminders and escalations owed, and silenced rows released, in one transaction. */
  async function schedule(report: DeliveryReport): Promise<void> {
    await writeTransaction(
      o.db,
      async (trx) => {
        const now = o.now();
        const silences = await activeSilences(trx, now);
        const flapping = new Set<string>();
        for (const f of await flappingNow(trx)) {
          const changes = await flapChanges(trx, f, now - o.config.flap.windowSeconds, now);
          if (flapDecision(changes, true, o.config.flap) === 'settles') {
            await settleFlapping(trx, f, now, o.config);
            report.settled++;
          } else flapping.add(JSON.stringify([f.device_id, f.rule, f.subject]));
        }
        for (const p of await openProblemAlerts(trx)) {
          // Held back while it flaps: no reminders, no escalation.
          if (flapping.has(JSON.stringify([p.device_id, p.rule, p.subject]))) continue;
          const problem = { deviceId: p.device_id, rule: p.rule, subject: p.subject, severity: p.severity };
          if (isSilenced(problem, silences, now)) continue;
          for (const d of receiversFor(problem, o.config.routes)) {
            if (!o.config.receivers.has(d.receiver)) continue;
            const last = await lastNotificationOf(trx, p.alert_id, d.receiver);
            if (!last) continue;
            if (last.status === 'silenced') {
              await releaseSilenced(trx, last.id, now);
              report.released++;
            } else if (last.status === 'sent' && d.repeatIntervalSeconds !== null && now >= (last.sent_at ?? last.created_at) + d.repeatIntervalSeconds) {
              await insertNotification(trx, { receiver: d.receiver, kind: 'reminder', group_key: null, alert_id: p.alert_id, problem_alert_id: p.alert_id, created_at: now, status: 'pending', next_attempt_at: now });
              report.reminders++;
            }
          }
          // Open long enough: tell the escalation receivers, once (their recovery follows as for anyone told).
          for (const e of escalationsFor(problem, o.config.routes)) {
            if (!o.config.receivers.has(e.receiver) || now - p.since < e.afterSeconds) continue;
            if (await lastNotificationOf(trx, p.alert_id, e.receiver)) continue;
            await insertNotification(trx, { receiver: e.receiver, kind: 'firing', group_key: null, alert_id: p.alert_id, problem_alert_id: p.alert_id, created_at: now, status: 'pending', next_attempt_at: now });
            report.escalations++;
          }
        }
      },
      o.write,
    );
  }

  async function noticeOf(row: NotificationRow): Promise<Notice> {
    const { alert, problem, since } = await noticeParts(o.db, row);
    return {
      id: row.id,
      receiver: row.receiver,
      kind: row.kind,
      deviceId: problem.device_id,
      rule: problem.rule,
      subject: problem.subject,
      alert: problem.alert,
      severity: problem.severity,
      value: alert.value,
      threshold: alert.threshold,
      startsAt: since,
      endsAt: row.kind === 'resolved' ? alert.timestamp : null,
      problemAlertId: problem.id,
      ...(row.kind === 'flapping' && {
        flap: {
          changes: await flapChanges(o.db, problem, row.created_at - o.config.flap.windowSeconds, row.created_at),
          windowSeconds: o.config.flap.windowSeconds,
        },
      }),
    };
  }

  /** One receiver's due messages, oldest first, until one fails, none is due, or its rate limit is reached. */
  async function deliverTo(receiver: ReceiverConfig, report: DeliveryReport): Promise<void> {
    for (let n = 0; n < maxPerPass; n++) {
      const row = await oldestPending(o.db, receiver.name, o.now());
      if (!row || row.next_attempt_at > o.now()) return;
      if ((await sentSince(o.db, receiver.name, o.now() - receiver.rateLimit.perSeconds)) >= receiver.rateLimit.max) return;
      // Still ours? Another backend may have taken over while a receiver was slow.
      if (!(await lease())) return;
      // A group goes out as one message once its first one is due.
      const rows = row.group_key === null ? [row] : await pendingOfGroup(o.db, receiver.name, row.group_key, MAX_GROUP);
      const notices = await Promise.all(rows.map(noticeOf));
      const batch: Batch = [notices[0]!, ...notices.slice(1)];
      try {
        await send(receiver, batch);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const next = o.now() + backoffSeconds(row.attempts + 1);
        await writeTransaction(o.db, async (trx) => { for (const r of rows) await markFailed(trx, r.id, message, next); }, o.write);
        o.log.warn(`notification ${row.id} to ${receiver.name} failed (attempt ${row.attempts + 1}): ${message}; next attempt in ${backoffSeconds(row.attempts + 1)} s`);
        report.failed += rows.length;
        return;
      }
      await writeTransaction(o.db, async (trx) => { for (const r of rows) await markSent(trx, r.id, o.now()); }, o.write);
      report.sent += rows.length;
    }
  }

  /** Whether this backend held the lease at its last pass: a change is worth a line in the log. */
  let holding: boolean | undefined;
  const noteHolding = (now: boolean) => {
    if (now === holding) return;
    if (now) o.log.info(`sending notifications: this backend holds the sender lease (${owner})`);
    else if (holding !== undefined) o.log.info('another backend holds the notification sender lease: this one sends nothing until it is free');
    holding = now;
  };

  return {
    owner,
    async deliverDue() {
      const report: DeliveryReport = { leased: false, sent: 0, failed: 0, reminders: 0, released: 0, escalations: 0, settled: 0 };
      if (o.config.receivers.size === 0) return report;
      const leased = await lease();
      noteHolding(leased);
      if (!leased) return report;
      report.leased = true;
      await schedule(report);
      // Receivers are independent: a slow one does not hold up the others.
      await Promise.all([...o.config.receivers.values()].map((r) => deliverTo(r, report)));
      return report;
    },
    async release() {
      if (o.config.receivers.size === 0) return;
      await writeTransaction(o.db, (trx) => releaseLease(trx, SENDER_LEASE, owner), o.write);
    },
  };
}
