// The Alertmanager webhook payload (version 4), as prometheus/alertmanager's notify/webhook Message
// and template.Data encode it, for one notice. Pure.
import { type Batch, type Notice, type SendContext, descriptionOf, linkOf, summaryOf } from './notice.js';

type KV = Record<string, string>;

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: KV;
  annotations: KV;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface AlertmanagerMessage {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: AlertmanagerAlert[];
  notification_reason: string;
  groupLabels: KV;
  commonLabels: KV;
  commonAnnotations: KV;
  routeLabels: KV;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

/** Go's zero time.Time, which Alertmanager sends as the endsAt of an alert with no end. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const SEPARATOR = 0xff;

/** Prometheus' LabelSet fingerprint: FNV-1a 64 over sorted name, 0xff, value, 0xff; 16 hex digits. */
export function fingerprintOf(labels: KV): string {
  let hash = FNV_OFFSET;
  const add = (byte: number) => {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const b of Buffer.from(name)) add(b);
    add(SEPARATOR);
    for (const b of Buffer.from(labels[name]!)) add(b);
    add(SEPARATOR);
  }
  return hash.toString(16).padStart(16, '0');
}

/** A LabelSet as Go's String() prints it: `{a="1", b="2"}`, names sorted. */
const labelSetText = (labels: KV) =>
  `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;

const REASON: Record<Notice['kind'], string> = {
  firing: 'first notification',
  resolved: 'all alerts resolved',
  reminder: 'repeat interval elapsed',
  flapping: 'alert is flapping',
  test: 'first notification',
};

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

function alertOf(n: Notice, ctx: SendContext): AlertmanagerAlert {
  const labels: KV = { alertname: n.alert, device: n.deviceId, rule: n.rule, subject: n.subject, severity: n.severity };
  return {
    status: n.kind === 'resolved' ? 'resolved' : 'firing',
    labels,
    annotations: { summary: summaryOf(n), description: descriptionOf(n) },
    startsAt: iso(n.startsAt),
    endsAt: n.endsAt === null ? GO_ZERO_TIME : iso(n.endsAt),
    generatorURL: linkOf(n, ctx),
    fingerprint: fingerprintOf(labels),
  };
}

/** What every map has alike (Alertmanager's commonLabels and commonAnnotations). */
function common(maps: readonly KV[]): KV {
  const [first, ...rest] = maps;
  const out: KV = {};
  for (const [k, v] of Object.entries(first ?? {})) if (rest.every((m) => m[k] === v)) out[k] = v;
  return out;
}

/** One message for one notice or a group of them (a route's group_by), as Alertmanager sends a group. */
export function alertmanagerMessage(b: Batch, ctx: SendContext): AlertmanagerMessage {
  const alerts = b.map((n) => alertOf(n, ctx));
  const status = alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
  // Without group_by each problem is its own group; with it, what the group's alerts share.
  const groupLabels = common(b.map((n) => ({ device: n.deviceId, rule: n.rule, subject: n.subject })));
  const kinds = new Set(b.map((n) => n.kind));
  const reason =
    kinds.size === 1 ? REASON[b[0].kind] : status === 'resolved' ? 'all alerts resolved' : kinds.has('resolved') ? 'some alerts resolved' : 'new alerts added';
  return {
    receiver: b[0].receiver,
    status,
    alerts,
    notification_reason: reason,
    groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    routeLabels: {},
    externalURL: ctx.externalUrl,
    version: '4',
    groupKey: `{}:${labelSetText(groupLabels)}`,
    truncatedAlerts: 0,
  };
}
