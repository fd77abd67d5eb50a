// The Alertmanager webhook payload (version 4), as prometheus/alertmanager's notify/webhook Message
// and template.Data encode it, for one notice. Pure.
import { type Notice, type SendContext, descriptionOf, linkOf, summaryOf } from './notice.js';

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
  test: 'first notification',
};

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString();

export function alertmanagerMessage(n: Notice, ctx: SendContext): AlertmanagerMessage {
  const status = n.kind === 'resolved' ? 'resolved' : 'firing';
  const labels: KV = { alertname: n.alert, device: n.deviceId, rule: n.rule, subject: n.subject, severity: n.severity };
  const annotations: KV = { summary: summaryOf(n), description: descriptionOf(n) };
  // Without grouping, each problem is its own group: what tells problems apart.
  const groupLabels: KV = { device: n.deviceId, rule: n.rule, subject: n.subject };
  return {
    receiver: n.receiver,
    status,
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt: iso(n.startsAt),
        endsAt: n.endsAt === null ? GO_ZERO_TIME : iso(n.endsAt),
        generatorURL: linkOf(n, ctx),
        fingerprint: fingerprintOf(labels),
      },
    ],
    notification_reason: REASON[n.kind],
    groupLabels,
    commonLabels: labels,
    commonAnnotations: annotations,
    routeLabels: {},
    externalURL: ctx.externalUrl,
    version: '4',
    groupKey: `{}:${labelSetText(groupLabels)}`,
    truncatedAlerts: 0,
  };
}
