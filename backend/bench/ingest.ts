// Ingest benchmark: sustained POST /metrics throughput and latency of the real backend on a fresh
// database, next to a bare Koa app with the same body parser (the HTTP layer's ceiling), under the
// same load in the same run: at each number of connections, with --sync full and --sync normal.
// Also the CPU each request costs the server process, and how many samples each group commit carried.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payloadPool } from './payload-pool.js';
import { type LoadResult, postLoad } from './post-load.js';
import { type Server, startBackend, startServer } from './processes.js';
import { argument, printReport, round } from './report.js';

const connectionCounts = argument('connections', '16,64').split(',').map(Number);
const duration = Number(argument('duration', '10'));
const agents = Number(argument('agents', '1000'));

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

interface Measured extends LoadResult {
  /** Microseconds of the server's CPU per request answered. */
  cpuUsPerRequest: number;
}

async function measure(server: Server, bodies: string[], connections: number): Promise<Measured> {
  const pid = server.child.pid!;
  const before = cpuSeconds(pid);
  const result = await postLoad(server.url, bodies, { connections, duration });
  const used = cpuSeconds(pid) - before;
  return { ...result, cpuUsPerRequest: round((used * 1e6) / Math.max(1, result.sent), 0) };
}

/** The group-commit batch sizes as /prometheus/self counts them: cumulative counts per upper bound. */
async function batchSizes(server: Server): Promise<{ batches: number; samples: number; buckets: Record<string, number> }> {
  const text = await (await fetch(`${server.url}/prometheus/self`)).text();
  const buckets: Record<string, number> = {};
  let previous = 0;
  for (const match of text.matchAll(/^fleetmon_ingest_batch_size_bucket\{le="([^"]+)"\} (\d+)$/gm)) {
    const count = Number(match[2]);
    buckets[`<=${match[1]}`] = count - previous;
    previous = count;
  }
  const count = Number(/^fleetmon_ingest_batch_size_count (\d+)$/m.exec(text)?.[1] ?? 0);
  const sum = Number(/^fleetmon_ingest_batch_size_sum (\S+)$/m.exec(text)?.[1] ?? 0);
  return { batches: count, samples: sum, buckets };
}

const distribution = (b: Awaited<ReturnType<typeof batchSizes>>) =>
  `avg ${round(b.samples / Math.max(1, b.batches), 1)}; ` +
  Object.entries(b.buckets)
    .filter(([, n]) => n > 0)
    .map(([le, n]) => `${le}: ${Math.round((100 * n) / Math.max(1, b.batches))}%`)
    .join(' ');

async function main() {
  const bodies = payloadPool(agents, 20).map((p) => JSON.stringify(p));
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-bench-ingest-'));
  const rows: (string | number)[][] = [['connections', 'server', 'req/s', 'ratio', 'p50 ms', 'p99 ms', 'CPU us/req', 'errors', 'non-2xx']];
  const figures: Record<string, unknown>[] = [];
  const batches: string[] = [];
  try {
    for (const connections of connectionCounts) {
      const bare = await startServer('backend/bench/bare-koa.js', []);
      const bareResult = await measure(bare, bodies, connections);
      await bare.stop();
      const row = (name: string, r: Measured, ratio: number | string) => [connections, name, r.requestsPerSecond, ratio, r.p50, r.p99, r.cpuUsPerRequest, r.errors, r.non2xx];
      rows.push(row('bare koa (ceiling)', bareResult, ''));
      const run: Record<string, unknown> = { connections, bare: bareResult };
      for (const sync of ['full', 'normal']) {
        const backend = await startBackend(join(dir, `${sync}-${connections}.sqlite`), ['--sync', sync]);
        const result = await measure(backend, bodies, connections);
        const sizes = await batchSizes(backend);
        await backend.stop();
        const ratio = round(result.requestsPerSecond / bareResult.requestsPerSecond, 3);
        rows.push(row(`fleetmon --sync ${sync}`, result, ratio));
        batches.push(`${connections} connections, --sync ${sync}: ${distribution(sizes)}`);
        run[sync] = { ...result, throughput_ratio: ratio, batch_sizes: sizes };
      }
      figures.push(run);
    }
    printReport(
      'ingest',
      `POST /metrics, ${duration} s each, ${agents} distinct agents with simulated payloads (avg ${Math.round(bodies.reduce((s, b) => s + b.length, 0) / bodies.length)} bytes), fresh database each; ratio = backend req/s / bare koa req/s of the same connections`,
      rows,
      { duration_s: duration, agents, runs: figures },
    );
    console.log(`group commit, samples per transaction:\n  ${batches.join('\n  ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
