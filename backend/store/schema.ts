// The one source of table types. Every query in backend/store is checked against these.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { Role } from '../auth/roles.js';

export interface DevicesTable {
  id: string;
  first_seen: number;
  last_seen: number;
  latest_sample_id: number | null;
  /** Seconds between its samples: what the agent says, else inferred from the gaps between them. */
  interval_seconds: number | null;
  /** Earliest sample time whose rollups must be recomputed; null when rollups are up to date. */
  rollup_dirty_from: number | null;
}

export interface SamplesTable {
  id: Generated<number>;
  device_id: string;
  /** When the sample was measured, Unix seconds (receive time minus the agent's age_seconds). */
  timestamp: number;
  received_at: number;
  /** The agent's id for this sample (retries repeat it); null for agents that send none. */
  sample_id: string | null;
  cpu_percent: number | null;
  memory_percent: number | null;
  swap_percent: number | null;
  /** The accepted payload as JSON text. */
  payload: string;
}

/** One device's samples of one hour, packed (backend/samples/pack.ts); recent samples stay rows. */
export interface SampleBlocksTable {
  device_id: string;
  /** Start of the hour, Unix seconds. */
  hour: number;
  first_time: number;
  last_time: number;
  count: number;
  data: Uint8Array;
}

export type Severity = 'critical' | 'warning';
export type AlertKind = 'fired' | 'recovered';

export interface AlertsTable {
  id: Generated<number>;
  device_id: string;
  timestamp: number;
  alert: string;
  severity: Severity;
  kind: AlertKind;
  rule: string;
  subject: string;
  value: number | null;
  threshold: number | null;
  sample_id: number | null;
}

export interface AlertStateTable {
  device_id: string;
  rule: string;
  subject: string;
  since: number;
  alert_id: number;
  value: number | null;
  threshold: number | null;
}

export interface AlertPendingTable {
  device_id: string;
  rule: string;
  subject: string;
  /** When the condition started to hold; it fires once it has held for the rule's `for:`. */
  since: number;
}

export type RollupResolution = 300 | 3600;

export interface RollupsTable {
  device_id: string;
  /** Bucket length in seconds. */
  resolution: RollupResolution;
  /** Bucket start, Unix seconds, a multiple of the resolution. */
  bucket: number;
  /** Series name, e.g. `cpu`, `disk:/:percent` (see backend/history/series.ts). */
  series: string;
  avg: number;
  max: number;
  /** How many samples the bucket summarises. */
  count: number;
}

export interface MaintenanceTable {
  key: string;
  value: number;
}

/** flapping: one message saying a problem flaps and that its messages are held until it settles. */
export type NotificationKind = 'firing' | 'resolved' | 'reminder' | 'flapping';
export type NotificationStatus = 'pending' | 'sent' | 'silenced';

/** The outbox: one row per message owed to (or delivered to) one receiver. */
export interface NotificationsTable {
  id: Generated<number>;
  receiver: string;
  kind: NotificationKind;
  /** Messages of one group (a route's group_by, e.g. `device=db-1`) go out together; null: alone. */
  group_key: string | null;
  /** The alert announced: the fired alert (firing, reminder) or the recovery (resolved). */
  alert_id: number;
  /** The fired alert the problem started with. */
  problem_alert_id: number;
  created_at: number;
  status: NotificationStatus;
  next_attempt_at: number;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  sent_at: number | null;
}

/** Problems (device, rule, subject) flapping now: their messages are held until they settle. */
export interface FlappingTable {
  device_id: string;
  rule: string;
  subject: string;
  since: number;
}

/** A job only one backend may run at a time (the notification sender), held until expires_at. */
export interface LeasesTable {
  name: string;
  owner: string;
  expires_at: number;
}

export interface SilencesTable {
  id: Generated<number>;
  /** Matchers; null matches anything. device is a glob. */
  device: string | null;
  rule: string | null;
  subject: string | null;
  severity: Severity | null;
  starts_at: number;
  ends_at: number;
  comment: string;
  author: string;
  created_at: number;
}

export interface TokensTable {
  /** Public id: the 8 hex digits after `fmt_` in the token string; `token revoke` takes it. */
  id: string;
  role: Role;
  /** The device an agent token may write (its agent_id); null for admin and read tokens. */
  device_id: string | null;
  /** The administrator's note: where the token is used. */
  name: string | null;
  /** SHA-256 of the secret, hex (see backend/auth/tokens.ts); the secret itself is never stored. */
  secret_hash: string;
  created_at: number;
  /** When it was revoked; null while it is valid. */
  revoked_at: number | null;
}

export interface Database {
  devices: DevicesTable;
  samples: SamplesTable;
  sample_blocks: SampleBlocksTable;
  alerts: AlertsTable;
  alert_state: AlertStateTable;
  alert_pending: AlertPendingTable;
  rollups: RollupsTable;
  maintenance: MaintenanceTable;
  notifications: NotificationsTable;
  flapping: FlappingTable;
  leases: LeasesTable;
  silences: SilencesTable;
  tokens: TokensTable;
}

export type DeviceRow = Selectable<DevicesTable>;
export type SampleRow = Selectable<SamplesTable>;
export type NewSample = Insertable<SamplesTable>;
export type AlertRow = Selectable<AlertsTable>;
export type NewAlert = Insertable<AlertsTable>;
export type AlertStateRow = Selectable<AlertStateTable>;
export type AlertStateUpdate = Updateable<AlertStateTable>;
export type RollupRow = Selectable<RollupsTable>;
export type NotificationRow = Selectable<NotificationsTable>;
export type NewNotification = Insertable<NotificationsTable>;
export type SilenceRow = Selectable<SilencesTable>;
export type NewSilence = Insertable<SilencesTable>;

export type TokenRow = Selectable<TokensTable>;
export type NewToken = Insertable<TokensTable>;
