// Ingest benchmark: sustained POST /metrics throughput and latency of the real backend on a fresh
// database, next to a bare Koa app with the same body parser (the HTTP layer's ceiling), under the
// same load in the same run: at each number of connections, with --sync full and --sync normal.
// Also the CPU each request costs the server process, and how many samples each group commit carried.
// On a shared VM the speed of the whole machine drifts by a quarter within a minute, so the three
// servers take turns, round after round, and each ratio is taken within a round (bare, then full,
// then normal, seconds apart); the table shows the median round and the spread.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BatchSizes, type Measured, batchSizes, describeBatchSizes, measureIngest } from './ingest-measure.js';
import { payloadPool } from './payload-pool.js';
import { type Server, startBackend, startServer } from './processes.js';
import { argument, printReport, round } from './report.js';

const connectionCounts = argument('connections', '16,64').split(',').map(Number);
const duration = Number(argument('duration', '10'));
const rounds = Number(argument('rounds', '3'));
const agents = Number(argument('agents', '1000'));

const SYNCS = ['full', 'normal'] as const;

const measure = (server: Server, bodies: string[], connections: number): Promise<Measured> => measureIngest([server], bodies, { connections, duration });

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** One round at one number of connections: the bare app, then the backend with each --sync, each on a fresh database. */
async function oneRound(dir: string, bodies: string[], connections: number, index: number) {
  const bare = await startServer('backend/bench/bare-koa.js', []);
  const bareResult = await measure(bare, bodies, connections);
  await bare.stop();
  const backends: Record<string, { result: Measured; sizes: BatchSizes; ratio: number }> = {};
  for (const sync of SYNCS) {
    const backend = await startBackend(join(dir, `${sync}-${connections}-${index}.sqlite`), ['--sync', sync]);
    const result = await measure(backend, bodies, connections);
    const sizes = await batchSizes(backend);
    await backend.stop();
    backends[sync] = { result, sizes, ratio: result.requestsPerSecond / bareResult.requestsPerSecond };
  }
  return { bare: bareResult, backends };
}

async function main() {
  const bodies = payloadPool(agents, 20).map((p) => JSON.stringify(p));
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-bench-ingest-'));
  const rows: (string | number)[][] = [['connections', 'server', 'req/s', 'ratio', 'ratio range', 'p50 ms', 'p99 ms', 'CPU us/req', 'errors', 'non-2xx']];
  const figures: Record<string, unknown>[] = [];
  const batches: string[] = [];
  try {
    for (const connections of connectionCounts) {
      const all = [];
      for (let i = 0; i < rounds; i++) all.push(await oneRound(dir, bodies, connections, i));
      const row = (name: string, results: Measured[], ratios: number[] | undefined) => [
        connections,
        name,
        Math.round(median(results.map((r) => r.requestsPerSecond))),
        ratios ? round(median(ratios), 3) : '',
        ratios ? `${round(Math.min(...ratios), 2)}–${round(Math.max(...ratios), 2)}` : '',
        median(results.map((r) => r.p50)),
        median(results.map((r) => r.p99)),
        Math.round(median(results.map((r) => r.cpuUsPerRequest))),
        results.reduce((n, r) => n + r.errors, 0),
        results.reduce((n, r) => n + r.non2xx, 0),
      ];
      rows.push(row('bare koa (ceiling)', all.map((r) => r.bare), undefined));
      const run: Record<string, unknown> = { connections, bare: all.map((r) => r.bare) };
      for (const sync of SYNCS) {
        const taken = all.map((r) => r.backends[sync]!);
        const ratios = taken.map((t) => t.ratio);
        rows.push(row(`fleetmon --sync ${sync}`, taken.map((t) => t.result), ratios));
        const sizes = taken.map((t) => t.sizes);
        const merged: BatchSizes = { batches: 0, samples: 0, buckets: {} };
        for (const s of sizes) {
          merged.batches += s.batches;
          merged.samples += s.samples;
          for (const [le, n] of Object.entries(s.buckets)) merged.buckets[le] = (merged.buckets[le] ?? 0) + n;
        }
        batches.push(`${connections} connections, --sync ${sync}: ${describeBatchSizes(merged)}`);
        run[sync] = { rounds: taken.map((t) => ({ ...t.result, throughput_ratio: round(t.ratio, 3), batch_sizes: t.sizes })), median_ratio: round(median(ratios), 3) };
      }
      figures.push(run);
    }
    printReport(
      'ingest',
      `POST /metrics, ${rounds} rounds of ${duration} s per server, ${agents} distinct agents with simulated payloads (avg ${Math.round(bodies.reduce((s, b) => s + b.length, 0) / bodies.length)} bytes), fresh database each; ratio = backend req/s / bare koa req/s of the same round (median round, and the range over rounds); other columns: medians`,
      rows,
      { duration_s: duration, rounds, agents, runs: figures },
    );
    console.log(`group commit, samples per transaction (all rounds):\n  ${batches.join('\n  ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
