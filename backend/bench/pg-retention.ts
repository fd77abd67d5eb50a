// Retention's cost to ingest, on PostgreSQL with SQLite beside it as the baseline, in one run:
// POST /metrics against a real backend (its own process) on a fleet's recent history with nothing
// to delete (idle), then on the same history with days more of it expired, which the backend's
// maintenance deletes in batches while the load runs (busy). Both backends run with the same short
// --retention; the history is written straight into the tables (fleet-history.ts). Printed: the
// load's figures, busy/idle, what was deleted during the load and how long the whole purge took.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { type Db, connectDatabase } from '../store/db.js';
import { isPostgres, isPostgresUrl } from '../store/dialect.js';
import { migrateToLatest } from '../store/migrate.js';
import { MARKS, ONE_HOUR } from '../store/rollups.js';
import { POSTGRES_PACKAGE_HINT, createDatabase, findPostgresBin, startPostgresCluster } from '../throwaway-postgres.js';
import { fillFleetHistory } from './fleet-history.js';
import { type Measured, measureIngest } from './ingest-measure.js';
import { payloadPool } from './payload-pool.js';
import { startBackend } from './processes.js';
import { argument, printReport, round } from './report.js';

const devices = Number(argument('devices', '30'));
const expiredDays = Number(argument('expired-days', '2'));
const duration = Number(argument('duration', '15'));
const connections = Number(argument('connections', '16'));
const agents = Number(argument('agents', '1000'));
const DAY = 86400;
/** Both backends keep a day: the recent history (20 h) stays, the expired days go. */
const RETENTION = ['--retention', '1d', '--rollup-retention', '1d', '--maintenance-every', '1s'];

const end = Math.floor(Date.now() / 1000 / ONE_HOUR) * ONE_HOUR;
const recent = { from: end - 20 * ONE_HOUR, to: end };
const expired = { from: end - DAY - expiredDays * DAY, to: end - DAY };
/** Everything before this is expired at any time of this run (the retention's cut moves with the clock). */
const cutoff = expired.to;

interface Expired {
  samples: number;
  blocks: number;
  rollups300: number;
  rollups3600: number;
}

const total = (e: Expired) => e.samples + e.blocks + e.rollups300 + e.rollups3600;
const minus = (a: Expired, b: Expired): Expired => ({ samples: a.samples - b.samples, blocks: a.blocks - b.blocks, rollups300: a.rollups300 - b.rollups300, rollups3600: a.rollups3600 - b.rollups3600 });

async function countExpired(db: Db): Promise<Expired> {
  const count = async (query: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => Number((await query.executeTakeFirstOrThrow()).n);
  const rollups = (resolution: 300 | 3600) =>
    count(db.selectFrom('rollups').select((eb) => eb.fn.countAll().as('n')).where('resolution', '=', resolution).where('bucket', '<', cutoff));
  return {
    samples: await count(db.selectFrom('samples').select((eb) => eb.fn.countAll().as('n')).where('timestamp', '<', cutoff)),
    blocks: await count(db.selectFrom('sample_blocks').select((eb) => eb.fn.countAll().as('n')).where('hour', '<', cutoff)),
    rollups300: await rollups(300),
    rollups3600: await rollups(3600),
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until the backend's first maintenance pass has set the purge marks: from then on it deletes. */
async function firstMaintenancePass(db: Db): Promise<void> {
  for (;;) {
    const row = await db.selectFrom('maintenance').select('value').where('key', '=', MARKS.rollup3600PurgedUntil).executeTakeFirst();
    if (row) return;
    await pause(20);
  }
}

interface Run {
  load: Measured;
  /** Expired rows and blocks before the backend started (all of them went by the end). */
  backlog: Expired;
  /** Expired rows deleted while the load ran. */
  deletedDuringLoad: Expired;
  /** Expired rows and blocks left when the load ended: 0 means the purge ended before the load did. */
  leftAfterLoad: number;
  /** From the first maintenance pass until nothing expired was left, s. */
  purgeSeconds: number;
  /** PostgreSQL: autovacuum runs on the tables retention deletes from, while this backend ran. */
  autovacuums?: number;
}

/** PostgreSQL: how often autovacuum has run on the tables retention deletes from. */
async function autovacuumCount(db: Db): Promise<number | undefined> {
  if (!isPostgres(db)) return undefined;
  const { rows } = await sql<{ n: number }>`
    select coalesce(sum(autovacuum_count), 0) as n from pg_stat_user_tables where relname in ('samples', 'sample_blocks', 'rollups')`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** One backend on `location` under the load; on a backlog, waits for the purge to end. */
async function measure(location: string, bodies: readonly string[], databasePid?: number): Promise<Run> {
  const database = await connectDatabase(location);
  const db = database.db;
  try {
    const backlog = await countExpired(db);
    const vacuumsBefore = await autovacuumCount(db);
    const backend = await startBackend(location, RETENTION);
    try {
      // The timer starts with the first pass, a step of deleting (at most a batch of each) later.
      await firstMaintenancePass(db);
      const started = performance.now();
      const atLoadStart = await countExpired(db);
      const load = await measureIngest([backend], bodies, { connections, duration, databasePid });
      const afterLoad = await countExpired(db);
      let left = afterLoad;
      while (total(left) > 0) {
        await pause(500);
        left = await countExpired(db);
      }
      const purgeSeconds = (performance.now() - started) / 1000;
      const vacuumsAfter = await autovacuumCount(db);
      const autovacuums = vacuumsBefore === undefined || vacuumsAfter === undefined ? undefined : vacuumsAfter - vacuumsBefore;
      return { load, backlog, deletedDuringLoad: minus(atLoadStart, afterLoad), leftAfterLoad: total(afterLoad), purgeSeconds, autovacuums };
    } finally {
      await backend.stop();
    }
  } finally {
    await database.close();
  }
}

/** A migrated database holding the fleet's history; with the expired days or without. */
async function filled(location: string, withExpired: boolean): Promise<{ series: number; seconds: number }> {
  const started = performance.now();
  const database = await connectDatabase(location);
  try {
    await migrateToLatest(database.db);
    const filled = await fillFleetHistory(database.db, { devices, hours: withExpired ? [expired, recent] : [recent], rawHour: withExpired ? expired.from : undefined, end });
    // Settled, as a database that has run for a while is: statistics known, the fill's WAL checkpointed.
    if (isPostgres(database.db)) await sql`vacuum analyze`.execute(database.db);
    else await sql`pragma wal_checkpoint(truncate)`.execute(database.db);
    return { series: filled.series, seconds: (performance.now() - started) / 1000 };
  } finally {
    await database.close();
  }
}

async function main(): Promise<void> {
  const bin = findPostgresBin();
  if (!bin) {
    console.log(`\n== pg-retention: skipped. ${POSTGRES_PACKAGE_HINT}`);
    return;
  }
  const cluster = await startPostgresCluster(bin, { durable: true });
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-bench-pg-retention-'));
  const load = loadavg()[0]!;
  try {
    // Recent samples of the load's agents, so that retention keeps them.
    const bodies = payloadPool(agents, 20, 42, end - 200).map((p) => JSON.stringify(p));
    const results: Record<'sqlite' | 'postgres', { idle: Run; busy: Run; fill: number }> = {} as never;
    let series = 0;
    for (const kind of ['sqlite', 'postgres'] as const) {
      const location = async (name: string) => (kind === 'postgres' ? createDatabase(cluster, name) : join(dir, `${name}.sqlite`));
      const idleAt = await location('idle');
      const busyAt = await location('backlog');
      await filled(idleAt, false);
      const fill = await filled(busyAt, true);
      series = fill.series;
      const pid = isPostgresUrl(idleAt) ? cluster.pid : undefined;
      const idle = await measure(idleAt, bodies, pid);
      const busy = await measure(busyAt, bodies, pid);
      results[kind] = { idle, busy, fill: fill.seconds };
    }
    const rows: (string | number)[][] = [['database', 'condition', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU us/req backend + PostgreSQL', 'deleted during load', 'whole purge s', 'purge rows/s']];
    const figures: Record<string, unknown> = {};
    for (const kind of ['sqlite', 'postgres'] as const) {
      const { idle, busy } = results[kind];
      const name = kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      const cpu = (m: Measured) => (m.databaseCpuUsPerRequest ? `${m.cpuUsPerRequest} + ${m.databaseCpuUsPerRequest}` : m.cpuUsPerRequest);
      const deleted = total(busy.deletedDuringLoad);
      const purged = total(busy.backlog);
      rows.push([name, 'idle', idle.load.requestsPerSecond, idle.load.p50, idle.load.p99, idle.load.errors + idle.load.non2xx, cpu(idle.load), '', '', '']);
      rows.push([name, 'purging a backlog', busy.load.requestsPerSecond, busy.load.p50, busy.load.p99, busy.load.errors + busy.load.non2xx, cpu(busy.load), deleted.toLocaleString('en'), round(busy.purgeSeconds, 1), Math.round(purged / busy.purgeSeconds).toLocaleString('en')]);
      const ratio = round(busy.load.requestsPerSecond / idle.load.requestsPerSecond, 2);
      rows.push([name, 'ratio purging/idle', ratio, round(busy.load.p50 / idle.load.p50), round(busy.load.p99 / idle.load.p99), '', '', '', '', '']);
      figures[kind] = {
        idle: idle.load,
        busy: busy.load,
        ratio_busy_idle: ratio,
        backlog: busy.backlog,
        autovacuums_during_purge: busy.autovacuums,
        deleted_during_load: busy.deletedDuringLoad,
        purge_seconds: round(busy.purgeSeconds, 1),
        purge_rows_per_second: Math.round(purged / busy.purgeSeconds),
        left_after_load: busy.leftAfterLoad,
        fill_seconds: round(results[kind].fill, 1),
      };
    }
    const b = results.postgres.busy.backlog;
    printReport(
      'pg-retention',
      `POST /metrics, ${connections} connections, ${duration} s, ${agents} simulated agents, one backend process with --retention 1d --rollup-retention 1d --maintenance-every 1s; ` +
        `idle: ${devices} devices' last 20 h (blocks and rollups), nothing to delete; purging a backlog: the same plus ${expiredDays} expired days ` +
        `(${b.blocks.toLocaleString('en')} blocks, ${b.rollups300.toLocaleString('en')} 5-minute and ${b.rollups3600.toLocaleString('en')} hourly rollups of ${series} series, ${b.samples.toLocaleString('en')} sample rows never packed) that the backend's maintenance deletes meanwhile; ` +
        `load starts after the first maintenance pass; purge rows/s = all expired rows and blocks / time from then until none is left; ` +
        `PostgreSQL fsync and synchronous_commit on, SQLite --sync full; load average ${round(load, 1)} at start`,
      rows,
      { devices, expired_days: expiredDays, duration_s: duration, connections, agents, ...figures },
    );
    for (const kind of ['sqlite', 'postgres'] as const) {
      const { busy } = results[kind];
      if (busy.leftAfterLoad === 0) {
        console.log(`note: on ${kind} the purge ended before the load did (--devices, --expired-days make the backlog larger)`);
      }
    }
  } finally {
    cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
