// One message owed to one receiver, as every receiver kind sees it, and the words of it. Pure.
import type { NotificationKind, Severity } from '../store/schema.js';

export interface Notice {
  /** The outbox row (0 for `notify test`). */
  id: number;
  receiver: string;
  kind: NotificationKind | 'test';
  deviceId: string;
  rule: string;
  subject: string;
  /** The problem's text as it fired (no " - recovered"). */
  alert: string;
  /** The severity the problem fired with. */
  severity: Severity;
  /** The value that decided this message (the recovery's for resolved); null when unknown. */
  value: number | null;
  threshold: number | null;
  /** When the problem started, Unix seconds. */
  startsAt: number;
  /** When it cleared (resolved only). */
  endsAt: number | null;
  /** The fired alert's id (GET /alerts), which tells problems apart. */
  problemAlertId: number;
  /** flapping only: state changes counted, and the window they were counted in (seconds). */
  flap?: { changes: number; windowSeconds: number };
}

/** What every receiver kind needs besides the notice. */
export interface SendContext {
  /** Links in messages point here (the notifications file's external_url). */
  externalUrl: string;
}

const LABEL: Record<Notice['kind'], string> = { firing: 'FIRING', resolved: 'RESOLVED', reminder: 'STILL FIRING', flapping: 'FLAPPING', test: 'TEST' };

const round = (n: number) => String(Math.round(n * 100) / 100);
const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

/** "Low Disk Space on db-1 (/var)" */
export const summaryOf = (n: Notice): string => `${n.alert} on ${n.deviceId}${n.subject ? ` (${n.subject})` : ''}`;

/** "[FIRING] Low Disk Space on db-1 (/var)": the line a phone shows. */
export const titleOf = (n: Notice): string => `[${LABEL[n.kind]}] ${summaryOf(n)}`;

/** "1 h", "30 min", "90 s" */
const spanText = (seconds: number): string =>
  seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;

/** A few lines for the body: the value against its limit, since when, and where to look. */
export function descriptionOf(n: Notice): string {
  if (n.kind === 'test') return `A test message from fleetmon to receiver ${n.receiver}: if you read this, it works.`;
  if (n.kind === 'flapping' && n.flap) {
    return `${summaryOf(n)} is flapping: ${n.flap.changes} changes in ${spanText(n.flap.windowSeconds)}; notifications held until it settles\nseverity ${n.severity}, rule ${n.rule}`;
  }
  const lines: string[] = [];
  if (n.value !== null) lines.push(`value ${round(n.value)}${n.threshold !== null ? ` (limit ${round(n.threshold)})` : ''}`);
  lines.push(n.kind === 'resolved' && n.endsAt !== null ? `cleared at ${iso(n.endsAt)}, open since ${iso(n.startsAt)}` : `open since ${iso(n.startsAt)}`);
  lines.push(`severity ${n.severity}, rule ${n.rule}`);
  return lines.join('\n');
}

/** Where the problem's history is shown. */
export const linkOf = (n: Notice, ctx: SendContext): string =>
  `${ctx.externalUrl.replace(/\/+$/, '')}/alerts?device=${encodeURIComponent(n.deviceId)}&rule=${encodeURIComponent(n.rule)}`;

/** What one send carries: one notice, or several of one group (a route's group_by). */
export type Batch = readonly [Notice, ...Notice[]];

const allResolved = (b: Batch) => b.every((n) => n.kind === 'resolved');

/** Whether a batch announces a critical problem that is still open (a phone should ring). */
export const isUrgent = (b: Batch): boolean => b.some((n) => n.severity === 'critical' && n.kind !== 'resolved');

/** "[FIRING:3] Low Disk Space on db-1 (/var) and 2 more" for a group; titleOf for one. */
export function batchTitle(b: Batch): string {
  if (b.length === 1) return titleOf(b[0]);
  return `[${allResolved(b) ? 'RESOLVED' : 'FIRING'}:${b.length}] ${summaryOf(b[0])} and ${b.length - 1} more`;
}

export function batchDescription(b: Batch): string {
  if (b.length === 1) return descriptionOf(b[0]);
  return b.map((n) => `${titleOf(n)}\n${descriptionOf(n)}`).join('\n\n');
}

/** Where to look: the problem, or the device's alerts for a group of one device, or all alerts. */
export function batchLink(b: Batch, ctx: SendContext): string {
  if (b.length === 1) return linkOf(b[0], ctx);
  const base = ctx.externalUrl.replace(/\/+$/, '');
  return b.every((n) => n.deviceId === b[0].deviceId) ? `${base}/alerts?device=${encodeURIComponent(b[0].deviceId)}` : `${base}/alerts`;
}

/** A message for the chat receivers: title, description, link. */
export const plainTextOf = (b: Batch, ctx: SendContext): string => `${batchTitle(b)}\n${batchDescription(b)}\n${batchLink(b, ctx)}`;

/** A notice that tests a receiver (`fleetmon-backend notify test`). */
export function testNotice(receiver: string, now: number): Notice {
  return { id: 0, receiver, kind: 'test', deviceId: 'fleetmon', rule: 'test', subject: '', alert: 'Test notification', severity: 'warning', value: null, threshold: null, startsAt: now, endsAt: null, problemAlertId: 0 };
}
