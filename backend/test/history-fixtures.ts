// Lots of history, fast: synthetic samples written straight into the database with prepared
// statements in one transaction (the HTTP path would take minutes for weeks of data).
import type SQLite from 'better-sqlite3';
import type { MetricsPayload } from '../../shared/payload.js';

export interface SyntheticSamples {
  devices: readonly string[];
  /** First sample time, Unix seconds. */
  from: number;
  /** Samples are taken while the time is before this. */
  to: number;
  /** Seconds between two samples of a device. */
  every: number;
  payload: (device: string, timestamp: number) => MetricsPayload;
}

/** A small payload whose values are known functions of the device and the time. */
export function knownPayload(device: string, timestamp: number): MetricsPayload {
  return {
    agent_id: device,
    cpu: { total_percent: sawtooth(timestamp) },
    memory: { percent: 40 + (device.length % 7), swap_percent: 0 },
    disks: [{ mountpoint: '/', percent: 50 + (Math.floor(timestamp / 86400) % 10), inode_percent: 3 }],
  };
}

/** 0 up to 99.x over every hour. */
export const sawtooth = (timestamp: number): number => (Math.floor(timestamp) % 3600) / 36;

/** Insert the samples, and make each device's newest one its latest (as ingest would). */
export function insertSamples(sqlite: SQLite.Database, spec: SyntheticSamples): number {
  const insert = sqlite.prepare(
    'insert into samples (device_id, timestamp, received_at, cpu_percent, memory_percent, swap_percent, payload) values (?, ?, ?, ?, ?, ?, ?)',
  );
  const seen = sqlite.prepare(
    `insert into devices (id, first_seen, last_seen, latest_sample_id) values (?, ?, ?, ?)
     on conflict (id) do update set
       first_seen = min(first_seen, excluded.first_seen),
       latest_sample_id = iif(excluded.last_seen >= last_seen, excluded.latest_sample_id, latest_sample_id),
       last_seen = max(last_seen, excluded.last_seen)`,
  );
  let count = 0;
  sqlite.transaction(() => {
    for (const device of spec.devices) {
      let first: number | undefined;
      let last: { timestamp: number; id: number | bigint } | undefined;
      for (let t = spec.from; t < spec.to; t += spec.every) {
        const p = spec.payload(device, t);
        const info = insert.run(device, t, t, p.cpu?.total_percent ?? null, p.memory?.percent ?? null, p.memory?.swap_percent ?? null, JSON.stringify(p));
        first ??= t;
        last = { timestamp: t, id: info.lastInsertRowid };
        count++;
      }
      if (first !== undefined && last !== undefined) seen.run(device, first, last.timestamp, last.id);
    }
  })();
  return count;
}

export interface Aggregate {
  avg: number;
  max: number;
  count: number;
}

/** What a bucketed series should hold, computed from the generator rather than the database. */
export function expectedBuckets(
  spec: SyntheticSamples,
  device: string,
  value: (timestamp: number) => number,
  step: number,
  range: { from: number; to: number } = spec,
): Map<number, Aggregate> {
  const sums = new Map<number, { sum: number; max: number; count: number }>();
  for (let t = spec.from; t < spec.to; t += spec.every) {
    if (t < range.from || t >= range.to || !spec.devices.includes(device)) continue;
    const v = value(t);
    const bucket = Math.floor(t / step) * step;
    const s = sums.get(bucket) ?? { sum: 0, max: Number.NEGATIVE_INFINITY, count: 0 };
    s.sum += v;
    s.max = Math.max(s.max, v);
    s.count++;
    sums.set(bucket, s);
  }
  return new Map([...sums].map(([b, s]) => [b, { avg: s.sum / s.count, max: s.max, count: s.count }]));
}
