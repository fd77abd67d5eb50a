// Ingest benchmark: sustained POST /metrics throughput and latency of the real backend on a fresh
// database, next to a bare Koa app with the same body parser (the HTTP layer's ceiling), under the
// same load in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { payloadPool } from './payload-pool.js';
import { type LoadResult, postLoad } from './post-load.js';
import { type Server, startBackend, startServer } from './processes.js';
import { argument, printReport, round } from './report.js';

const connections = Number(argument('connections', '16'));
const duration = Number(argument('duration', '15'));
const agents = Number(argument('agents', '1000'));

const load = (server: Server, bodies: string[]): Promise<LoadResult> => postLoad(server.url, bodies, { connections, duration });

async function main() {
  const bodies = payloadPool(agents, 20).map((p) => JSON.stringify(p));
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-bench-ingest-'));
  try {
    const bare = await startServer('backend/bench/bare-koa.js', []);
    const bareResult = await load(bare, bodies);
    await bare.stop();

    const backend = await startBackend(join(dir, 'monitor.sqlite'));
    const backendResult = await load(backend, bodies);
    await backend.stop();

    const ratio = round(backendResult.requestsPerSecond / bareResult.requestsPerSecond, 3);
    printReport(
      'ingest',
      `POST /metrics, ${connections} connections, ${duration} s each, ${agents} distinct agents with simulated payloads (avg ${Math.round(bodies.reduce((s, b) => s + b.length, 0) / bodies.length)} bytes), fresh database`,
      [
        ['server', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors', 'non-2xx'],
        ['bare koa (ceiling)', bareResult.requestsPerSecond, bareResult.p50, bareResult.p99, bareResult.sent, bareResult.errors, bareResult.non2xx],
        ['fleetmon backend', backendResult.requestsPerSecond, backendResult.p50, backendResult.p99, backendResult.sent, backendResult.errors, backendResult.non2xx],
        ['ratio backend/bare', ratio, '', '', '', '', ''],
      ],
      { connections, duration_s: duration, agents, bare: bareResult, backend: backendResult, throughput_ratio: ratio },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
