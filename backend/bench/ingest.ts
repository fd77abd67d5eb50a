// Ingest benchmark: sustained POST /metrics throughput and latency of the real backend on a fresh
// database, next to a bare Koa app with the same body parser (the HTTP layer's ceiling), under the
// same load in the same run: at each number of connections, with --sync full and --sync normal.
// Also the CPU each request costs the server process, and how many samples each group commit carried.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Measured, batchSizes, describeBatchSizes, measureIngest } from './ingest-measure.js';
import { payloadPool } from './payload-pool.js';
import { type Server, startBackend, startServer } from './processes.js';
import { argument, printReport, round } from './report.js';

const connectionCounts = argument('connections', '16,64').split(',').map(Number);
const duration = Number(argument('duration', '10'));
const agents = Number(argument('agents', '1000'));

const measure = (server: Server, bodies: string[], connections: number): Promise<Measured> => measureIngest([server], bodies, { connections, duration });

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
        batches.push(`${connections} connections, --sync ${sync}: ${describeBatchSizes(sizes)}`);
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
