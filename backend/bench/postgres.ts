// PostgreSQL against SQLite, in one run on one machine: the ingest load (bench:ingest's bodies and
// connection counts) on SQLite with one backend, on PostgreSQL with one backend and with two
// backends sharing the database (the load generator spreads its connections over both), next to
// the bare Koa app; then bench:queries' read endpoints on the same data in both databases (the
// SQLite file copied into PostgreSQL with `fleetmon-backend copy`'s code). PostgreSQL is a
// throwaway cluster in a temporary directory, syncing its WAL at every commit as SQLite's
// --sync full does. Backends, PostgreSQL and the load generator all share this machine's cores.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { copySqliteToPostgres } from '../store/copy.js';
import { type PostgresCluster, POSTGRES_PACKAGE_HINT, createDatabase, findPostgresBin, startPostgresCluster } from '../throwaway-postgres.js';
import { type BatchSizes, type Measured, batchSizes, describeBatchSizes, measureIngest } from './ingest-measure.js';
import { payloadPool } from './payload-pool.js';
import { type Server, startBackend, startServer } from './processes.js';
import { queryDatabase, queryEndpoints, timeEndpoints } from './query-endpoints.js';
import { argument, printReport, round } from './report.js';

const connectionCounts = argument('connections', '16,64').split(',').map(Number);
const duration = Number(argument('duration', '10'));
const agents = Number(argument('agents', '1000'));
const devices = Number(argument('devices', '1000'));
const samplesPerDevice = Number(argument('samples-per-device', '100'));
const repeats = Number(argument('repeats', '200'));
const parts = argument('only', 'ingest,queries').split(',');

const sumBatchSizes = (all: BatchSizes[]): BatchSizes => {
  const buckets: Record<string, number> = {};
  for (const b of all) for (const [le, n] of Object.entries(b.buckets)) buckets[le] = (buckets[le] ?? 0) + n;
  return { batches: all.reduce((s, b) => s + b.batches, 0), samples: all.reduce((s, b) => s + b.samples, 0), buckets };
};

const cores = cpus().length;
const sharedCores = `all on ${cores} cores: backends, PostgreSQL and the load generator compete for them (busy % = their CPU / all cores' time); load average ${round(loadavg()[0]!, 1)} at start`;

async function ingest(cluster: PostgresCluster, dir: string): Promise<void> {
  const bodies = payloadPool(agents, 20).map((p) => JSON.stringify(p));
  const rows: (string | number)[][] = [
    ['connections', 'setup', 'req/s', 'vs SQLite', 'vs bare', 'p50 ms', 'p99 ms', 'CPU us/req backends', 'CPU us/req PostgreSQL', 'CPU us/req total', 'busy %', 'errors', 'non-2xx'],
  ];
  const figures: Record<string, unknown>[] = [];
  const batches: string[] = [];
  for (const connections of connectionCounts) {
    const run: Record<string, unknown> = { connections };
    // Measured, then stopped: each setup runs alone.
    const measureThenStop = async (name: string, servers: Server[], databasePid?: number): Promise<Measured> => {
      const result = await measureIngest(servers, bodies, { connections, duration, databasePid });
      if (name !== 'bare') {
        const sizes = sumBatchSizes(await Promise.all(servers.map(batchSizes)));
        batches.push(`${connections} connections, ${name}: ${describeBatchSizes(sizes)}`);
        run[name] = { ...result, batch_sizes: sizes };
      } else {
        run[name] = result;
      }
      await Promise.all(servers.map((s) => s.stop()));
      return result;
    };

    const bare = await measureThenStop('bare', [await startServer('backend/bench/bare-koa.js', [])]);
    const sqlite = await measureThenStop('sqlite', [await startBackend(join(dir, `ingest-${connections}.sqlite`))]);
    const onePostgres = await measureThenStop('postgres', [await startBackend(await createDatabase(cluster, 'ingest'))], cluster.pid);
    const shared = await createDatabase(cluster, 'ingest');
    // One after the other, so that the second finds the schema migrated.
    const first = await startBackend(shared);
    const twoPostgres = await measureThenStop('postgres_2_backends', [first, await startBackend(shared)], cluster.pid);

    const row = (name: string, r: Measured, vsSqlite: number | string, vsBare: number | string) => [
      connections,
      name,
      r.requestsPerSecond,
      vsSqlite,
      vsBare,
      r.p50,
      r.p99,
      r.cpuUsPerRequest,
      r.databaseCpuUsPerRequest || '',
      r.cpuUsPerRequest + r.databaseCpuUsPerRequest,
      r.machineBusyPercent,
      r.errors,
      r.non2xx,
    ];
    const ratio = (r: Measured, base: Measured) => round(r.requestsPerSecond / base.requestsPerSecond, 2);
    rows.push(row('bare koa (ceiling)', bare, '', ''));
    rows.push(row('SQLite, 1 backend', sqlite, 1, ratio(sqlite, bare)));
    rows.push(row('PostgreSQL, 1 backend', onePostgres, ratio(onePostgres, sqlite), ratio(onePostgres, bare)));
    rows.push(row('PostgreSQL, 2 backends', twoPostgres, ratio(twoPostgres, sqlite), ratio(twoPostgres, bare)));
    run.ratio_to_sqlite = { postgres: ratio(onePostgres, sqlite), postgres_2_backends: ratio(twoPostgres, sqlite) };
    figures.push(run);
  }
  printReport(
    'postgres-ingest',
    `POST /metrics, ${duration} s each, ${agents} distinct agents with simulated payloads, fresh database each; SQLite --sync full, PostgreSQL fsync and synchronous_commit on; 2 backends = two processes on one PostgreSQL database, connections alternating between them; ${sharedCores}`,
    rows,
    { duration_s: duration, agents, runs: figures },
  );
  console.log(`group commit, samples per transaction:\n  ${batches.join('\n  ')}`);
}

async function queries(cluster: PostgresCluster): Promise<void> {
  const endpoints = queryEndpoints(repeats);
  const data = await queryDatabase(devices, samplesPerDevice);
  const url = await createDatabase(cluster, 'queries');
  const copyStarted = performance.now();
  await copySqliteToPostgres(data.path, url);
  const copySeconds = round((performance.now() - copyStarted) / 1000, 1);
  const timeOn = async (location: string) => {
    const server = await startBackend(location);
    try {
      return await timeEndpoints(server.url, endpoints);
    } finally {
      await server.stop();
    }
  };
  const onSqlite = await timeOn(data.path);
  const onPostgres = await timeOn(url);
  const rows: (string | number)[][] = [['endpoint', 'SQLite p50 ms', 'SQLite p99 ms', 'PostgreSQL p50 ms', 'PostgreSQL p99 ms', 'p50 PostgreSQL/SQLite', 'bytes SQLite', 'bytes PostgreSQL']];
  const ratios: Record<string, number> = {};
  for (const e of endpoints) {
    const s = onSqlite[e.name]!;
    const p = onPostgres[e.name]!;
    ratios[e.name] = round(p.p50 / s.p50);
    rows.push([e.name, s.p50, s.p99, p.p50, p.p99, ratios[e.name]!, s.bytes, p.bytes]);
  }
  printReport(
    'postgres-queries',
    `sequential requests (${repeats} each, history ${endpoints[4]!.repeats}), one backend, on ${devices} devices with ${data.samples.toLocaleString()} samples: the same SQLite file, and copied into PostgreSQL (${copySeconds} s); ${sharedCores}`,
    rows,
    { devices, samples: data.samples, copy_seconds: copySeconds, sqlite: onSqlite, postgres: onPostgres, ratio_p50: ratios },
  );
}

async function main(): Promise<void> {
  const bin = findPostgresBin();
  if (!bin) {
    // Skipped, not failed: `npm run bench` goes on without it.
    console.log(`\n== postgres: skipped. ${POSTGRES_PACKAGE_HINT}`);
    return;
  }
  const cluster = await startPostgresCluster(bin, { durable: true });
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-bench-postgres-'));
  try {
    if (parts.includes('ingest')) await ingest(cluster, dir);
    if (parts.includes('queries')) await queries(cluster);
  } finally {
    cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
