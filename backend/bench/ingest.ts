// Ingest benchmark: sustained POST /metrics throughput and latency of the real backend on a fresh
// database, next to a bare Koa app with the same body parser (the HTTP layer's ceiling), under the
// same load in the same run: at each number of connections, with --sync full and --sync normal.
// Also the CPU each request costs the server process, and how many samples each group commit carried.
// On a shared VM the speed of the whole machine drifts by a quarter within a minute, so the three
// servers run side by side, warmed up, and take turns in short windows, round after round, in a
// rotating order; each ratio is taken within a round (seconds apart), and the table shows the
// median round and the spread.
import { closeSync, copyFileSync, fsyncSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BatchSizes, type Measured, batchSizes, batchSizesSince, describeBatchSizes, measureIngest } from './ingest-measure.js';
import { payloadPool } from './payload-pool.js';
import { postLoad } from './post-load.js';
import { fillRawHistory } from './raw-history.js';
import { type Server, startBackend, startServer } from './processes.js';
import { argument, printReport, round } from './report.js';

const connectionCounts = argument('connections', '16,64').split(',').map(Number);
const duration = Number(argument('duration', '5'));
const rounds = Number(argument('rounds', '6'));
const agents = Number(argument('agents', '1000'));
const warmup = Number(argument('warmup', '3'));
/** Hours of raw samples each backend's database holds before it starts (0: an empty database). */
const historyHours = Number(argument('history-hours', '0'));

const SYNCS = ['full', 'normal'] as const;

/**
 * The same load for `warmup` seconds first, not counted: a backend runs for months, and what its
 * first seconds cost (V8 compiling the hot path, each agent's first sample) is not its rate.
 */
async function warmUp(server: Server, bodies: string[], connections: number): Promise<void> {
  if (warmup > 0) await postLoad(server.url, bodies, { connections, duration: warmup });
}

const measure = (server: Server, bodies: string[], connections: number): Promise<Measured> => measureIngest([server], bodies, { connections, duration });

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

type Round = { bare: Measured; backends: Record<string, { result: Measured; sizes: BatchSizes; ratio: number }> };

/**
 * At one number of connections: the bare app and a backend with each --sync (on a fresh database,
 * or a copy of `template`) are started and warmed up once, then take turns, `rounds` times over.
 */
async function takeTurns(dir: string, bodies: string[], connections: number, template: string | undefined): Promise<Round[]> {
  const servers: Record<string, Server> = {};
  const dbPath = (sync: string) => join(dir, `${sync}-${connections}.sqlite`);
  try {
    servers.bare = await startServer('backend/bench/bare-koa.js', []);
    for (const sync of SYNCS) {
      const path = dbPath(sync);
      if (template) {
        copyFileSync(template, path);
        // On the disk before any window starts: the kernel writing back a gigabyte during one would slow every server.
        const fd = openSync(path, 'r+');
        fsyncSync(fd);
        closeSync(fd);
      }
      servers[sync] = await startBackend(path, ['--sync', sync]);
    }
    for (const server of Object.values(servers)) await warmUp(server, bodies, connections);
    const names = Object.keys(servers);
    const all: Round[] = [];
    for (let i = 0; i < rounds; i++) {
      // Each server goes first, second and third in turn: whatever a window leaves behind (the
      // kernel writing back the previous backend's files) falls on all three alike.
      const order = names.map((_, k) => names[(i + k) % names.length]!);
      const measured: Record<string, Measured> = {};
      const sizes: Record<string, BatchSizes> = {};
      for (const name of order) {
        const server = servers[name]!;
        const before = name === 'bare' ? undefined : await batchSizes(server);
        measured[name] = await measure(server, bodies, connections);
        if (before) sizes[name] = batchSizesSince(await batchSizes(server), before);
      }
      const bare = measured.bare!;
      const backends = Object.fromEntries(SYNCS.map((sync) => [sync, { result: measured[sync]!, sizes: sizes[sync]!, ratio: measured[sync]!.requestsPerSecond / bare.requestsPerSecond }]));
      all.push({ bare, backends });
    }
    return all;
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
    // A database with hours of history takes gigabytes: gone before the next number of connections.
    for (const sync of SYNCS) for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath(sync)}${suffix}`, { force: true });
  }
}

async function main() {
  const bodies = payloadPool(agents, 20).map((p) => JSON.stringify(p));
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-bench-ingest-'));
  const rows: (string | number)[][] = [['connections', 'server', 'req/s', 'ratio', 'ratio range', 'p50 ms', 'p99 ms', 'CPU us/req', 'errors', 'non-2xx']];
  const figures: Record<string, unknown>[] = [];
  const batches: string[] = [];
  try {
    let template: string | undefined;
    let historyRows = 0;
    if (historyHours > 0) {
      template = join(dir, 'history.sqlite');
      historyRows = await fillRawHistory(template, bodies, historyHours, Date.now() / 1000);
    }
    for (const connections of connectionCounts) {
      const all = await takeTurns(dir, bodies, connections, template);
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
      `POST /metrics, ${rounds} rounds of ${duration} s per server after ${warmup} s of the same load not counted, ${agents} distinct agents with simulated payloads (avg ${Math.round(bodies.reduce((s, b) => s + b.length, 0) / bodies.length)} bytes), each backend on a ${historyHours > 0 ? `database holding ${historyHours} h of raw samples (${historyRows.toLocaleString('en-US')} rows)` : 'fresh database'}; ratio = backend req/s / bare koa req/s of the same round (median round, and the range over rounds); other columns: medians`,
      rows,
      { duration_s: duration, warmup_s: warmup, history_hours: historyHours, rounds, agents, runs: figures },
    );
    console.log(`group commit, samples per transaction (all rounds):\n  ${batches.join('\n  ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
