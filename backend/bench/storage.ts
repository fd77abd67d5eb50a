// Storage benchmark: bytes on disk per sample over a 30-day retention window at default settings,
// for the simulator's payloads and for payloads shaped like the original agent's (15 processes,
// hardware info), with samples kept as rows (the previous version) and packed into hourly blocks
// (this one), side by side in the same run. Time is compressed: samples are written an hour at a
// time through the storage layer and maintenance runs on a driven clock after each hour.
// Also measured: GET /devices/:id/history over a day at raw resolution from blocks vs rows, POST
// /metrics throughput while the packer works through a backlog vs idle, and the packer's CPU cost.
import SQLite from 'better-sqlite3';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricsPayload } from '../../shared/payload.js';
import { createSimulatedMachine } from '../../agent/sim/machine.js';
import { type Rng, createRng } from '../../agent/sim/random.js';
import { readHistory } from '../history/query.js';
import { silentLogger } from '../log.js';
import { createMaintenance } from '../maintenance.js';
import { startBackend } from '../server.js';
import { openDatabase } from '../store/db.js';
import { migrateToLatest } from '../store/migrate.js';
import { inProcessConfig } from '../config.js';
import { postLoad } from './post-load.js';
import { argument, printReport, round } from './report.js';

const days = Number(argument('days', '30'));
const devices = Number(argument('devices', '2'));
const interval = 10;
const DAY = 86400;
const HOUR = 3600;
/** The simulated month ends now, so that a backend on the real clock sees it as recent. */
const end = Math.floor(Date.now() / 1000 / HOUR) * HOUR;
const start = end - days * DAY;

type Kind = 'simulator' | 'original';
type Generator = (t: number) => Record<string, unknown>;

function simulator(id: string, rng: Rng): Generator {
  const machine = createSimulatedMachine(id, rng, { faultRate: 0.1, intervalSeconds: interval });
  return (t) => machine.next(t) as Record<string, unknown>;
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../../../backend/test/fixtures/original-agent/gpu-box.json'), 'utf8')) as Record<string, unknown>;
const PROCESS_NAMES = ['python3', 'python3', 'python3', 'dockerd', 'containerd', 'nvidia-persiste', 'sshd', 'systemd', 'postgres', 'nginx', 'node', 'java', 'rsyslogd', 'cron', 'journald'];

/** The original agent's shape (gpu-box recording: hardware, GPUs, sensors) with 15 processes and values that move. */
function original(id: string, rng: Rng): Generator {
  let cpu = 30;
  let counters = 1e12;
  const walk = (v: number, step: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v + (rng.next() - 0.5) * step));
  const r1 = (v: number) => Math.round(v * 10) / 10;
  return (t) => {
    cpu = walk(cpu, 10, 0, 100);
    counters += rng.next() * 5e6;
    const base = fixture as { cpu: { per_core_percent: number[] }; disks: Record<string, unknown>[]; network: Record<string, unknown>[] };
    return {
      ...fixture,
      agent_id: id,
      timestamp: t + rng.next() * 0.1,
      cpu: { total_percent: r1(cpu), per_core_percent: base.cpu.per_core_percent.map(() => r1(walk(cpu, 20, 0, 100))), load_avg: [r1(cpu / 3), r1(cpu / 3.1), r1(cpu / 3.2)] },
      disks: base.disks.map((d) => ({ ...d, read_bytes: Math.round(counters * 3), write_bytes: Math.round(counters), read_count: Math.round(counters / 5e4), write_count: Math.round(counters / 1e5) })),
      network: base.network.map((n) => ({ ...n, bytes_sent: Math.round(counters * 2), bytes_recv: Math.round(counters * 5), packets_sent: Math.round(counters / 1500), packets_recv: Math.round(counters / 900) })),
      processes: PROCESS_NAMES.map((name, i) => ({ pid: 400 + i * 37, name, cpu: r1(rng.next() * cpu), memory: r1(8 - i * 0.4 + rng.next() * 0.2), status: rng.next() < 0.2 ? 'running' : 'sleeping' })).sort((a, b) => b.cpu - a.cpu),
      uptime_sec: t - start + 55555,
    };
  };
}

interface Filled {
  path: string;
  samples: number;
  fileBytes: number;
  jsonBytes: number;
  /** CPU seconds maintenance used, over the whole run. */
  maintenanceCpu: number;
}

/** `days` of samples from `devices` machines, an hour at a time, maintenance after each hour. */
async function fill(dir: string, kind: Kind, pack: boolean): Promise<Filled> {
  const path = join(dir, `${kind}-${pack ? 'packed' : 'rows'}.sqlite`);
  const database = openDatabase(path);
  await migrateToLatest(database.db);
  const { sqlite } = database;
  let clock = start;
  const maintenance = createMaintenance({ db: database.db, now: () => clock, log: silentLogger, retentionSeconds: 30 * DAY, rollupRetentionSeconds: 365 * DAY, packSamples: pack });
  const rng = createRng(42);
  const sources = Array.from({ length: devices }, (_, i) => {
    const id = `${kind}-${String(i).padStart(3, '0')}`;
    return { id, next: kind === 'simulator' ? simulator(id, rng) : original(id, rng), first: undefined as number | undefined };
  });
  const insert = sqlite.prepare(
    'insert into samples (device_id, timestamp, received_at, sample_id, cpu_percent, memory_percent, swap_percent, payload) values (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const seen = sqlite.prepare(
    'insert into devices (id, first_seen, last_seen, latest_sample_id, interval_seconds) values (?, ?, ?, ?, ?) on conflict(id) do update set last_seen = excluded.last_seen, latest_sample_id = excluded.latest_sample_id',
  );
  let samples = 0;
  let jsonBytes = 0;
  let maintenanceCpu = 0;
  for (let hour = start; hour < end; hour += HOUR) {
    sqlite.transaction(() => {
      for (let t = hour; t < hour + HOUR; t += interval) {
        for (const source of sources) {
          const p = source.next(t) as MetricsPayload;
          const json = JSON.stringify(p);
          const id = insert.run(source.id, t, t, p.sample_id ?? null, p.cpu?.total_percent ?? null, p.memory?.percent ?? null, p.memory?.swap_percent ?? null, json).lastInsertRowid;
          seen.run(source.id, t, t, id, interval);
          samples++;
          jsonBytes += json.length;
        }
      }
    })();
    clock = hour + HOUR;
    const cpu = process.cpuUsage();
    await maintenance.runUntilIdle();
    const used = process.cpuUsage(cpu);
    maintenanceCpu += (used.user + used.system) / 1e6;
  }
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  await database.close();
  return { path, samples, fileBytes: statSync(path).size, jsonBytes, maintenanceCpu };
}

async function medianMs(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/** GET /devices/:id/history's work for one day, 10 days back, at the finest step a day allows (raw samples). */
async function historyDayMs(path: string, device: string): Promise<{ ms: number; points: number }> {
  const database = openDatabase(path);
  try {
    const from = end - 10 * DAY;
    const request = { from, to: from + DAY, step: 180, fields: undefined };
    const answer = await readHistory(database.db, device, request);
    const ms = await medianMs(7, () => readHistory(database.db, device, request));
    return { ms, points: answer.series.cpu?.length ?? 0 };
  } finally {
    await database.close();
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-bench-storage-'));
  try {
    const results: Record<Kind, { rows: Filled; packed: Filled }> = {} as Record<Kind, { rows: Filled; packed: Filled }>;
    for (const kind of ['simulator', 'original'] as const) {
      results[kind] = { rows: await fill(dir, kind, false), packed: await fill(dir, kind, true) };
    }
    const sim = results.simulator;
    const perSample = (f: Filled) => f.fileBytes / f.samples;
    const rows: (string | number)[][] = [['payloads', 'JSON bytes/sample', 'rows (before) bytes/sample', 'packed (after) bytes/sample', 'after/before', 'after/JSON']];
    for (const kind of ['simulator', 'original'] as const) {
      const r = results[kind];
      const json = r.rows.jsonBytes / r.rows.samples;
      rows.push([kind, round(json, 0), round(perSample(r.rows), 1), round(perSample(r.packed), 1), round(perSample(r.packed) / perSample(r.rows), 3), round(perSample(r.packed) / json, 3)]);
    }
    printReport(
      'storage',
      `${days} simulated days, ${devices} devices per kind, a sample every ${interval} s, default retention (30 d raw), maintenance after every simulated hour; bytes = database file / samples`,
      rows,
      Object.fromEntries(
        (['simulator', 'original'] as const).map((k) => [
          k,
          { samples: results[k].packed.samples, json_bytes: round(results[k].rows.jsonBytes / results[k].rows.samples, 1), rows_bytes_per_sample: round(perSample(results[k].rows), 1), packed_bytes_per_sample: round(perSample(results[k].packed), 1) },
        ]),
      ),
    );

    if (argument('sizes-only', 'no') === 'yes') return;
    const device = 'simulator-000';
    const fromRows = await historyDayMs(sim.rows.path, device);
    const fromBlocks = await historyDayMs(sim.packed.path, device);
    printReport('storage: history', `GET /devices/:id/history work for one day at step 180 s (raw samples, ${fromRows.points} points), median of 7`, [
      ['source', 'ms'],
      ['rows (before)', round(fromRows.ms, 1)],
      ['packed blocks (after)', round(fromBlocks.ms, 1)],
      ['ratio blocks/rows', round(fromBlocks.ms / fromRows.ms, 2)],
    ], { rows_ms: round(fromRows.ms, 1), blocks_ms: round(fromBlocks.ms, 1) });

    // Ingest idle, then while maintenance packs a month of rows (a database from the previous version, migrated in place).
    const duration = Number(argument('duration', '10'));
    const bodies = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ ...(simulator(`load-${i % 200}`, createRng(i))(end) as object), sample_id: undefined }));
    const packedSamples = (path: string) => {
      const database = new SQLite(path, { readonly: true });
      const row = database.prepare('select coalesce(sum(count), 0) as n from sample_blocks').get() as { n: number };
      database.close();
      return row.n;
    };
    // The server's own maintenance timer, as deployed (it paces itself); every 50 ms instead of every minute.
    const ingest = async (path: string) => {
      const before = packedSamples(path);
      const backend = await startBackend(inProcessConfig(path), { log: silentLogger, processMetrics: false, maintenanceEveryMs: 50 });
      const load = await postLoad(backend.url, bodies, { connections: 16, duration });
      await backend.close();
      return { load, packed: packedSamples(path) - before };
    };
    const idleCopy = join(dir, 'idle.sqlite');
    copyFileSync(sim.packed.path, idleCopy);
    const idle = await ingest(idleCopy);
    const backlog = join(dir, 'backlog.sqlite');
    copyFileSync(sim.rows.path, backlog);
    const busy = await ingest(backlog);
    // What packing a month cost: maintenance CPU with packing minus without, per million samples packed.
    const packerCpu = ((sim.packed.maintenanceCpu - sim.rows.maintenanceCpu) / sim.packed.samples) * 1e6;
    printReport('storage: ingest while packing', `POST /metrics, 16 connections, ${duration} s, in-process backend; "packing" = the server's maintenance packing a month of rows of ${devices} devices (a database of the previous version) meanwhile`, [
      ['condition', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
      ['idle', idle.load.requestsPerSecond, idle.load.p50, idle.load.p99, idle.load.errors + idle.load.non2xx],
      [`packing (${busy.packed.toLocaleString()} samples packed meanwhile)`, busy.load.requestsPerSecond, busy.load.p50, busy.load.p99, busy.load.errors + busy.load.non2xx],
      ['ratio packing/idle', round(busy.load.requestsPerSecond / idle.load.requestsPerSecond, 3), '', '', ''],
      ['packer CPU s per million samples', round(packerCpu, 1), '', '', ''],
    ], { idle: idle.load, packing: busy.load, packed_during_load: busy.packed, packer_cpu_seconds_per_million: round(packerCpu, 1) });
  } finally {
    if (argument('keep', 'no') === 'yes') console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
