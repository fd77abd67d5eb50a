// Filling a database with synthetic history through the storage layer (our schema, migrated by
// our migrations), fast: prepared statements in large transactions instead of HTTP requests.
import type { MetricsPayload } from '../../shared/payload.js';
import { createSimulatedMachine } from '../../agent/sim/machine.js';
import { createRng } from '../../agent/sim/random.js';
import { openDatabase } from '../store/db.js';
import { migrateToLatest } from '../store/migrate.js';

export interface FillOptions {
  devices: number;
  samplesPerDevice: number;
  intervalSeconds: number;
  /** Unix seconds of the newest sample. */
  end: number;
  /** One more device with this many samples at this interval, ending at `end` (for history queries). */
  focus?: { id: string; samples: number; intervalSeconds: number };
  /** An alert pair (fired, then recovered) per this many samples of a device. */
  samplesPerAlert?: number;
  seed?: number;
}

export interface FillResult {
  samples: number;
  alerts: number;
  devices: number;
  seconds: number;
}

const PAYLOADS_PER_DEVICE = 16;
const BATCH = 50_000;

export async function fillDatabase(path: string, options: FillOptions): Promise<FillResult> {
  const started = performance.now();
  const database = openDatabase(path);
  await migrateToLatest(database.db);
  const { sqlite } = database;
  const rng = createRng(options.seed ?? 42);

  interface Source {
    id: string;
    payloads: { json: string; cpu: number | null; memory: number | null; swap: number | null }[];
    samples: number;
    interval: number;
  }
  const makeSource = (id: string, samples: number, interval: number): Source => {
    const machine = createSimulatedMachine(id, rng, { faultRate: 0.1, intervalSeconds: interval });
    const payloads = Array.from({ length: PAYLOADS_PER_DEVICE }, (_, i) => {
      const { sample_id: _ignored, ...p } = machine.next(options.end - (PAYLOADS_PER_DEVICE - i) * interval) as MetricsPayload;
      return { json: JSON.stringify(p), cpu: p.cpu?.total_percent ?? null, memory: p.memory?.percent ?? null, swap: p.memory?.swap_percent ?? null };
    });
    return { id, payloads, samples, interval };
  };
  const sources = Array.from({ length: options.devices }, (_, i) => makeSource(`host-${String(i).padStart(5, '0')}`, options.samplesPerDevice, options.intervalSeconds));
  if (options.focus) sources.push(makeSource(options.focus.id, options.focus.samples, options.focus.intervalSeconds));

  const insertSample = sqlite.prepare(
    'insert into samples (device_id, timestamp, received_at, sample_id, cpu_percent, memory_percent, swap_percent, payload) values (?, ?, ?, null, ?, ?, ?, ?)',
  );
  const insertAlert = sqlite.prepare(
    "insert into alerts (device_id, timestamp, alert, severity, kind, rule, subject, value, threshold) values (?, ?, ?, ?, ?, 'cpu_high', '', ?, 90)",
  );
  const upsertDevice = sqlite.prepare(
    'insert into devices (id, first_seen, last_seen, latest_sample_id, interval_seconds) values (?, ?, ?, ?, ?) on conflict(id) do update set last_seen = excluded.last_seen, latest_sample_id = excluded.latest_sample_id',
  );
  const openState = sqlite.prepare("insert into alert_state (device_id, rule, subject, since, alert_id, value, threshold) values (?, 'cpu_high', '', ?, ?, 95, 90)");

  let samples = 0;
  let alerts = 0;
  const perAlert = options.samplesPerAlert ?? 100;
  const maxSamples = Math.max(...sources.map((s) => s.samples));
  const last = new Map<string, { id: number; ts: number; first: number }>();
  let pending = 0;
  sqlite.exec('begin');
  // Oldest first, all devices interleaved, as samples arrive in real life.
  for (let k = maxSamples - 1; k >= 0; k--) {
    for (const source of sources) {
      if (k >= source.samples) continue;
      const ts = options.end - k * source.interval;
      const p = source.payloads[k % PAYLOADS_PER_DEVICE]!;
      const id = Number(insertSample.run(source.id, ts, ts, p.cpu, p.memory, p.swap, p.json).lastInsertRowid);
      const seen = last.get(source.id);
      last.set(source.id, { id, ts, first: seen?.first ?? ts });
      samples++;
      if (k % perAlert === 0) {
        const fired = (k / perAlert) % 2 === 0;
        insertAlert.run(source.id, ts, fired ? 'High CPU usage' : 'High CPU usage - recovered', fired ? 'critical' : 'warning', fired ? 'fired' : 'recovered', fired ? 95 : 40);
        alerts++;
      }
      if (++pending >= BATCH) {
        sqlite.exec('commit');
        sqlite.exec('begin');
        pending = 0;
      }
    }
  }
  for (const source of sources) {
    const l = last.get(source.id);
    if (!l) continue;
    upsertDevice.run(source.id, l.first, l.ts, l.id, source.interval);
  }
  // One device in ten has an open problem, so GET /alerts/active has something to join.
  sources.forEach((source, i) => {
    if (i % 10 !== 0) return;
    const alertId = Number(insertAlert.run(source.id, options.end, 'High CPU usage', 'critical', 'fired', 95).lastInsertRowid);
    openState.run(source.id, options.end, alertId);
    alerts++;
  });
  sqlite.exec('commit');
  sqlite.exec('analyze');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  await database.close();
  return { samples, alerts, devices: sources.length, seconds: (performance.now() - started) / 1000 };
}
