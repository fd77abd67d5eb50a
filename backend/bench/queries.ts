// Query benchmark: latency of the read endpoints on a database of ~10 thousand samples and on one
// of ~10 million (1,000 devices each), and the ratio between the two. A ratio that grows with the
// size of the history means a missing index or a wrong query.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createMaintenance } from '../maintenance.js';
import { silentLogger } from '../log.js';
import { openDatabase } from '../store/db.js';
import { type Server, distRoot, startBackend } from './processes.js';
import { argument, percentile, printReport, round } from './report.js';
import { fillDatabase } from './synthetic.js';

const devices = Number(argument('devices', '1000'));
const bigPerDevice = Number(argument('big-samples-per-device', '10000'));
const smallPerDevice = Number(argument('small-samples-per-device', '10'));
const repeats = Number(argument('repeats', '200'));
const cacheDir = join(distRoot, '..', 'bench-results');
// A fixed end so that a cached database is the same one next time.
const END = 1_800_000_000;
const FOCUS = { id: 'focus-host', samples: 1440, intervalSeconds: 60 };

const endpoints: { name: string; path: string; repeats: number }[] = [
  { name: 'GET /metrics', path: '/metrics', repeats },
  { name: 'GET /alerts', path: '/alerts', repeats },
  { name: 'GET /alerts/active', path: '/alerts/active', repeats },
  { name: 'GET /devices', path: '/devices', repeats },
  { name: 'GET /devices/:id/history (1 day)', path: `/devices/${FOCUS.id}/history?from=${END - 86400}&to=${END}`, repeats: Math.max(20, repeats / 4) },
];

async function database(perDevice: number): Promise<{ path: string; samples: number; fillSeconds: number | null }> {
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
  const { renameSync } = await import('node:fs');
  renameSync(tmp, path);
  return { path, samples: result.samples, fillSeconds: round(result.seconds, 1) };
}

async function measure(server: Server, path: string, times: number): Promise<{ p50: number; p99: number; bytes: number }> {
  const once = async () => {
    const started = performance.now();
    const res = await fetch(`${server.url}${path}`);
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

async function measureAll(dbPath: string) {
  // The backend judges silence by its own clock; the data ends at END, so some devices show offline. That is fine.
  const server = await startBackend(dbPath);
  try {
    const out: Record<string, { p50: number; p99: number; bytes: number }> = {};
    for (const e of endpoints) out[e.name] = await measure(server, e.path, e.repeats);
    return out;
  } finally {
    await server.stop();
  }
}

async function main() {
  const small = await database(smallPerDevice);
  const big = await database(bigPerDevice);
  const smallResults = await measureAll(small.path);
  const bigResults = await measureAll(big.path);
  const rows: (string | number)[][] = [['endpoint', 'small p50 ms', 'small p99 ms', 'big p50 ms', 'big p99 ms', 'ratio p50 big/small', 'answer bytes']];
  const ratios: Record<string, number> = {};
  for (const e of endpoints) {
    const s = smallResults[e.name]!;
    const b = bigResults[e.name]!;
    ratios[e.name] = round(b.p50 / s.p50);
    rows.push([e.name, s.p50, s.p99, b.p50, b.p99, ratios[e.name]!, b.bytes]);
  }
  printReport(
    'queries',
    `sequential requests (${repeats} each, history ${endpoints[4]!.repeats}) on ${devices} devices with ${small.samples.toLocaleString()} samples (small) and ${big.samples.toLocaleString()} samples (big)`,
    rows,
    { small_samples: small.samples, big_samples: big.samples, devices, small: smallResults, big: bigResults, ratio_p50: ratios, fill_seconds: { small: small.fillSeconds, big: big.fillSeconds } },
  );
}

await main();
