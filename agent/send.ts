// One POST /metrics, classified by what the agent should do next: forget the sample (accepted),
// drop it with a log line (rejected: the backend will never take it), or keep it and retry later.
import type { MetricsPayload } from '../shared/payload.js';

export type SendResult =
  | { kind: 'accepted'; duplicate: boolean; sentAt: number; receivedAt: number; serverTime: number | undefined }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'unavailable'; reason: string };

export interface SendOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Milliseconds since the epoch; a parameter so tests can drive it. */
  now?: () => number;
}

// A 408 or 429 is the backend asking us to come back later, not a verdict on the sample.
const RETRYABLE_4XX = new Set([408, 429]);

/** An endpoint under the server URL, keeping any path prefix (a backend behind a proxy). */
export function endpointUrl(server: string, endpoint: string): string {
  return new URL(endpoint, server.endsWith('/') ? server : `${server}/`).toString();
}

export async function sendSample(server: string, payload: MetricsPayload, options: SendOptions): Promise<SendResult> {
  const now = options.now ?? Date.now;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const sentAt = now();
  let res: Response;
  let text: string;
  try {
    res = await fetch(endpointUrl(server, 'metrics'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal,
    });
    text = await res.text();
  } catch (err) {
    const reason = timeout.aborted
      ? `no answer within ${options.timeoutMs / 1000} s`
      : ((err as Error & { cause?: { code?: string; message?: string } }).cause?.message ?? (err as Error).message);
    return { kind: 'unavailable', reason };
  }
  const receivedAt = now();
  if (res.ok) {
    let body: { server_time?: unknown; outcome?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // An older backend may answer something other than JSON; the sample was still accepted.
    }
    const serverTime = typeof body.server_time === 'number' ? body.server_time : undefined;
    return { kind: 'accepted', duplicate: body.outcome === 'duplicate', sentAt, receivedAt, serverTime };
  }
  if (res.status >= 400 && res.status < 500 && !RETRYABLE_4XX.has(res.status)) {
    let message = text.slice(0, 500);
    try {
      message = String((JSON.parse(text) as { error?: unknown }).error ?? message);
    } catch {
      // not JSON: keep the raw text
    }
    return { kind: 'rejected', status: res.status, message };
  }
  return { kind: 'unavailable', reason: `HTTP ${res.status}` };
}

/** The backend's clock from GET /health, bracketed by our own, for a first drift measurement. */
export async function readServerClock(server: string, timeoutMs: number): Promise<{ sentAt: number; receivedAt: number; serverTime: number } | undefined> {
  try {
    const sentAt = Date.now();
    const res = await fetch(endpointUrl(server, 'health'), { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { server_time?: unknown };
    const receivedAt = Date.now();
    return typeof body.server_time === 'number' ? { sentAt, receivedAt, serverTime: body.server_time } : undefined;
  } catch {
    return undefined; // unreachable or not a fleetmon backend: the drift stays unknown for now
  }
}
