// The read endpoints the query benchmarks time, the synthetic database they read, and the timing:
// sequential requests after a warm-up, p50 and p99 of each endpoint.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createMaintenance } from '../maintenance.js';
import { silentLogger } from '../log.js';
import { openDatabase } from '../store/db.js';
import { distRoot } from './processes.js';
import { percentile, round } from './report.js';
import { fillDatabase } from './synthetic.js';

/** Where generated databases are kept between runs. */
export const cacheDir = join(distRoot, '..', 'bench-results');
// A fixed end so that a cached database is the same one next time.
const END = 1_800_000_000;
const FOCUS = { id: 'focus-host', samples: 1440, intervalSeconds: 60 };

export interface Endpoint {
  name: string;
  path: string;
  repeats: number;
}

export const queryEndpoints = (repeats: number): Endpoint[] => [
  { name: 'GET /metrics', path: '/metrics', repeats },
  { name: 'GET /alerts', path: '/alerts', repeats },
  { name: 'GET /alerts/active', path: '/alerts/active', repeats },
  { name: 'GET /devices', path: '/devices', repeats },
  { name: 'GET /devices/:id/history (1 day)', path: `/devices/${FOCUS.id}/history?from=${END - 86400}&to=${END}`, repeats: Math.max(20, repeats / 4) },
];

export interface QueryDatabase {
  path: string;
  samples: number;
  /** Seconds it took to generate, null when an earlier run's file was reused. */
  fillSeconds: number | null;
}

/** A SQLite file of `devices` × `perDevice` samples every 10 s (and the focus device), made once and reused. */
export async function queryDatabase(devices: number, perDevice: number): Promise<QueryDatabase> {
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, `queries-${devices}x${perDevice}.sqlite`);
  const samples = devices * perDevice + FOCUS.samples;
  if (existsSync(path)) return { path, samples, fillSeconds: null };
  const tmp = `${path}.filling`;
  rmSync(tmp, { force: true });
  console.error(`generating ${samples.toLocaleString()} samples into ${path} (once; reused by later runs)...`);
  const result = await fillDatabase(tmp, { devices, samplesPerDevice: perDevice, intervalSeconds: 10, end: END, focus: FOCUS });
  // Bring rollups up to date, as a running backend keeps them, so its timer finds nothing to do.
  const opened = openDatabase(tmp);
  await createMaintenance({ db: opened.db, now: () => END, log: silentLogger, retentionSeconds: 3650 * 86400, rollupRetentionSeconds: 3650 * 86400 }).runUntilIdle();
  opened.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  await opened.close();
  renameSync(tmp, path);
  return { path, samples: result.samples, fillSeconds: round(result.seconds, 1) };
}

export interface EndpointTiming {
  p50: number;
  p99: number;
  bytes: number;
}

/** `times` sequential GETs of `path` (after up to 20 not counted), p50 and p99 in ms. */
export async function timeEndpoint(url: string, path: string, times: number): Promise<EndpointTiming> {
  const once = async () => {
    const started = performance.now();
    const res = await fetch(`${url}${path}`);
    const body = await res.arrayBuffer();
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return { ms: performance.now() - started, bytes: body.byteLength };
  };
  for (let i = 0; i < Math.min(20, times); i++) await once();
  const latencies: number[] = [];
  let bytes = 0;
  for (let i = 0; i < times; i++) {
    const r = await once();
    latencies.push(r.ms);
    bytes = r.bytes;
  }
  latencies.sort((a, b) => a - b);
  return { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), bytes };
}

/** Every endpoint in turn against one backend. */
export async function timeEndpoints(url: string, endpoints: readonly Endpoint[]): Promise<Record<string, EndpointTiming>> {
  const out: Record<string, EndpointTiming> = {};
  for (const e of endpoints) out[e.name] = await timeEndpoint(url, e.path, e.repeats);
  return out;
}
