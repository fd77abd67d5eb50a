// One POST /metrics, classified by what the agent should do next: forget the sample (accepted),
// drop it with a log line (rejected: the backend will never take it), or keep it and retry later
// (unavailable; refused: the backend did not take our token, which the operator will fix).
import type { MetricsPayload } from '../shared/payload.js';
import { type HttpAnswer, HttpFailure, type HttpClient } from './http-client.js';

export type SendResult =
  | { kind: 'accepted'; duplicate: boolean; sentAt: number; receivedAt: number; serverTime: number | undefined }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'refused'; status: number; message: string }
  | { kind: 'unavailable'; reason: string };

export interface SendOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

// A 408 or 429 is the backend asking us to come back later, not a verdict on the sample.
const RETRYABLE_4XX = new Set([408, 429]);
// 401 and 403 judge the token, not the sample: the sample is good once the token is fixed.
const AUTH_REFUSALS = new Set([401, 403]);

function jsonField(text: string, field: string): unknown {
  try {
    return (JSON.parse(text) as Record<string, unknown>)[field];
  } catch {
    return undefined; // an older backend, or a proxy, may answer something other than JSON
  }
}

export async function sendSample(client: HttpClient, payload: MetricsPayload, options: SendOptions): Promise<SendResult> {
  const sentAt = Date.now();
  let answer: HttpAnswer;
  try {
    answer = await client.post('metrics', JSON.stringify(payload), options);
  } catch (err) {
    return { kind: 'unavailable', reason: err instanceof HttpFailure ? err.message : String(err) };
  }
  const receivedAt = Date.now();
  const { status, text } = answer;
  if (status >= 200 && status < 300) {
    const serverTime = jsonField(text, 'server_time');
    return { kind: 'accepted', duplicate: jsonField(text, 'outcome') === 'duplicate', sentAt, receivedAt, serverTime: typeof serverTime === 'number' ? serverTime : undefined };
  }
  if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) {
    const error = jsonField(text, 'error');
    const message = error === undefined ? text.slice(0, 500) : String(error);
    return AUTH_REFUSALS.has(status) ? { kind: 'refused', status, message } : { kind: 'rejected', status, message };
  }
  return { kind: 'unavailable', reason: `HTTP ${status}` };
}

/** The backend's clock from GET /health, bracketed by our own, for a first drift measurement. */
export async function readServerClock(client: HttpClient, timeoutMs: number): Promise<{ sentAt: number; receivedAt: number; serverTime: number } | undefined> {
  try {
    const sentAt = Date.now();
    const { text } = await client.get('health', { timeoutMs });
    const receivedAt = Date.now();
    const serverTime = jsonField(text, 'server_time');
    return typeof serverTime === 'number' ? { sentAt, receivedAt, serverTime } : undefined;
  } catch {
    return undefined; // unreachable or not a fleetmon backend: the drift stays unknown for now
  }
}
