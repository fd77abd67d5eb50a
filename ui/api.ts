// Talking to the backend: JSON GETs with the bearer token (when the backend asks for one), and the
// connection state the banner shows. The wire types mirror the README's API section.
export type { AlertEvent, FleetEvent, PresenceEvent, SampleEvent } from '../shared/events.js';
import type { SampleEvent } from '../shared/events.js';

export type Headline = Omit<SampleEvent, 'type' | 'device'>;

export interface Host {
  os?: string | null;
  kernel?: string | null;
  arch?: string | null;
  cpu_model?: string | null;
  cpu_cores?: number | null;
}

export interface Device {
  id: string;
  status: 'online' | 'offline';
  first_seen: number;
  last_seen: number;
  interval_seconds: number | null;
  offline_after_seconds: number | null;
  active_alerts: number;
  host: Host | null;
  latest: Headline | null;
}

export interface DeviceDetail extends Device {
  latest_sample: Record<string, unknown> | null;
}

export interface Problem {
  device: string;
  alert: string;
  severity: 'critical' | 'warning';
  since: number;
  rule: string;
  subject: string;
  value: number | null;
  threshold: number | null;
  alert_id: number;
}

export interface Alert {
  device: string;
  alert: string;
  severity: 'critical' | 'warning';
  timestamp: number;
  id: number;
  kind: 'fired' | 'recovered';
  rule: string;
  subject: string;
  value: number | null;
  threshold: number | null;
}

export interface History {
  device: string;
  from: number;
  to: number;
  step: number;
  /** name -> [bucket start, average, maximum][] */
  series: Record<string, [number, number, number][]>;
}

export interface RuleDescription {
  id: string;
  alert: string;
  severity: 'critical' | 'warning';
  trigger: string;
  enabled: boolean;
  threshold: number | null;
  for_seconds: number | null;
  clear_below: number | null;
}

export interface Rules {
  source: string;
  device?: string;
  rules: RuleDescription[];
}

const TOKEN_KEY = 'fleetmon-token';

/** The backend answered 401: the page asks for a token. */
export class Unauthorized extends Error {}

type Listener = () => void;
const listeners = new Set<Listener>();
export const connection = {
  /** The last request could not reach the backend at all. */
  lastFetchFailed: false,
  /** The event stream is open. */
  streamOpen: false,
  /** The backend wants a token we do not have (or it refused ours). */
  needsToken: false,
};

export function onConnectionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

export function updateConnection(change: Partial<typeof connection>): void {
  let changed = false;
  for (const [key, value] of Object.entries(change) as [keyof typeof connection, boolean][]) {
    if (connection[key] !== value) {
      connection[key] = value;
      changed = true;
    }
  }
  if (changed) for (const listener of listeners) listener();
}

export function token(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value);
  updateConnection({ needsToken: false });
}

export async function getJson<T>(path: string): Promise<{ body: T; headers: Headers }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  let res: Response;
  try {
    res = await fetch(path, { headers, cache: 'no-store' });
  } catch (err) {
    updateConnection({ lastFetchFailed: true });
    throw err;
  }
  updateConnection({ lastFetchFailed: false });
  if (res.status === 401) {
    updateConnection({ needsToken: true });
    throw new Unauthorized('the backend asks for a token');
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new Error(body.error ?? `${path} answered ${res.status}`);
  }
  return { body: (await res.json()) as T, headers: res.headers };
}

/**
 * The event stream's URL. EventSource cannot send an Authorization header, so a token goes in the
 * query string (the backend must accept `?token=` on /events for that).
 */
export function eventsUrl(): string {
  const bearer = token();
  return bearer ? `/events?token=${encodeURIComponent(bearer)}` : '/events';
}
