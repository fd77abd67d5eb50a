// Retention: raw samples age out after their rollups are made, rollups age out later, history stays
// continuous across every boundary, and the database file stops growing at a steady state.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryResponse } from '../history/query.js';
import type { RunningBackend } from '../server.js';
import { type SyntheticSamples, expectedBuckets, insertSamples, knownPayload, sawtooth } from './history-fixtures.js';
import { queryDb, request, startTestBackend, tempDir } from './helpers.js';
import { storedSpan } from './stored-samples.js';

const day = 86400;
const hour = 3600;
const start = 1_690_000_123;

let dir: ReturnType<typeof tempDir>;
let dbPath: string;
let backend: RunningBackend | undefined;
let clock: number;

beforeEach(() => {
  dir = tempDir();
  dbPath = join(dir.path, 'monitor.sqlite');
});

afterEach(async () => {
  await backend?.close();
  backend = undefined;
  await dir.remove();
});

async function start_(config: { retentionSeconds?: number; rollupRetentionSeconds?: number } = {}): Promise<RunningBackend> {
  backend = await startTestBackend(dbPath, { now: () => clock, maintenanceEveryMs: 0 }, config);
  return backend;
}

const history = (device: string, query: string) => request<HistoryResponse>(`${backend?.url}/devices/${device}/history${query}`);

const mark = (key: string): number => {
  const [row] = queryDb<{ value: number }>(dbPath, 'select value from maintenance where key = ?', key);
  if (row === undefined) throw new Error(`no maintenance mark ${key}`);
  return row.value;
};

/** Largest distance between two consecutive points. */
const largestGap = (points: [number, number, number][]): number =>
  points.slice(1).reduce((gap, [t], i) => Math.max(gap, t - (points[i]?.[0] ?? t)), 0);

function expectPoints(points: [number, number, number][], expected: Map<number, { avg: number; max: number }>): void {
  for (const [t, avg, max] of points) {
    const want = expected.get(t);
    expect({ t, avg: Math.round(avg * 1e6), max }).toEqual({ t, avg: Math.round((want?.avg ?? Number.NaN) * 1e6), max: want?.max });
  }
}

const fileSize = (b: RunningBackend): number => {
  b.database.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  return statSync(dbPath).size;
};

describe('retention', () => {
  it('keeps 30 days of raw samples and rollups for the rest, and history continuous over 60 days; then the file stops growing', async () => {
    clock = start + 60 * day;
    const b = await start_();
    expect(b.database.sqlite.pragma('auto_vacuum', { simple: true })).toBe(2);
    const spec: SyntheticSamples = { devices: ['a', 'b'], from: start, to: clock, every: 60, payload: knownPayload };
    insertSamples(b.database.sqlite, spec);
    // A device that fell silent after 10 days: its last sample stays what GET /metrics shows.
    const silent = { ...spec, devices: ['silent'], to: start + 10 * day };
    insertSamples(b.database.sqlite, silent);
    const silentLast = queryDb<{ id: number; timestamp: number }>(dbPath, "select id, timestamp from samples where device_id = 'silent' order by timestamp desc limit 1")[0];
    await b.maintenance.runUntilIdle();

    const purgedUntil = mark('samples_purged_until');
    expect(purgedUntil).toBeLessThanOrEqual(clock - 30 * day);
    expect(purgedUntil).toBeGreaterThan(clock - 30 * day - hour);
    // Older hours are packed into blocks by now, the latest hours are rows: both count as raw samples.
    expect(queryDb<{ n: number }>(dbPath, "select count(*) as n from sample_blocks where device_id = 'a'")[0]!.n).toBeGreaterThan(29 * 24);
    const raw = await storedSpan(dbPath, 'a');
    expect(raw?.first).toBeGreaterThanOrEqual(purgedUntil);
    expect(raw?.first).toBeLessThan(purgedUntil + 60);
    expect(queryDb(dbPath, "select id, timestamp from samples where device_id = 'silent'")).toEqual([silentLast]);
    const metrics = await request<{ agent_id: string; timestamp: number }[]>(`${b.url}/metrics`);
    expect(metrics.body.find((m) => m.agent_id === 'silent')?.timestamp).toBe(silentLast?.timestamp);
    expect(queryDb(dbPath, "select min(bucket) as first from rollups where device_id = 'a' and resolution = 300")).toEqual([{ first: Math.floor(start / 300) * 300 }]);

    // The whole 60 days: hourly rollups, 5-minute rollups and raw samples, one point every step.
    const all = await history('a', `?from=${start}&to=${clock}&fields=cpu`);
    expect(all.body.step).toBe(3 * hour);
    const cpu = all.body.series.cpu ?? [];
    expect(cpu[0]?.[0]).toBe(Math.floor(start / all.body.step) * all.body.step);
    expect(cpu.at(-1)?.[0]).toBe(Math.floor((clock - 60) / all.body.step) * all.body.step);
    expect(largestGap(cpu)).toBe(all.body.step);
    expectPoints(cpu, expectedBuckets(spec, 'a', sawtooth, all.body.step));
    const silentHistory = await history('silent', `?from=${start}&to=${clock}&fields=cpu`);
    expectPoints(silentHistory.body.series.cpu ?? [], expectedBuckets(silent, 'silent', sawtooth, all.body.step));

    // Around the retention boundary at a fine step: 5-minute rollups before it, raw samples after.
    const around = await history('a', `?from=${purgedUntil - 6 * hour}&to=${purgedUntil + 2 * hour}&step=60&fields=cpu`);
    const fine = around.body.series.cpu ?? [];
    expect(largestGap(fine.filter(([t]) => t < purgedUntil))).toBe(300);
    expect(largestGap(fine.filter(([t]) => t >= purgedUntil))).toBe(60);
    expect(fine.map(([t]) => t)).toEqual(expect.arrayContaining([purgedUntil - 300, purgedUntil]));
    expectPoints(fine.filter(([t]) => t < purgedUntil), expectedBuckets(spec, 'a', sawtooth, 300));
    expectPoints(fine.filter(([t]) => t >= purgedUntil), expectedBuckets(spec, 'a', sawtooth, 60));

    // Steady state: rollups kept 40 days; then every day brings a day of samples and retention
    // takes one away. Freed pages are reused, so the file stops growing.
    await b.close();
    const steady = await start_({ rollupRetentionSeconds: 40 * day });
    await steady.maintenance.runUntilIdle();
    expect(queryDb(dbPath, 'select min(bucket) as first from rollups')[0]).toMatchObject({ first: expect.any(Number) });
    expect(mark('rollup_300_purged_until')).toBeGreaterThan(clock - 40 * day - hour);
    const freeShare = Number(steady.database.sqlite.pragma('freelist_count', { simple: true })) / Number(steady.database.sqlite.pragma('page_count', { simple: true }));
    expect(freeShare).toBeLessThan(0.25);
    const sizes: number[] = [];
    for (let d = 0; d < 7; d++) {
      insertSamples(steady.database.sqlite, { ...spec, from: clock, to: clock + day });
      clock += day;
      await steady.maintenance.runUntilIdle();
      sizes.push(fileSize(steady));
    }
    // The first day's rollups split pages in the middle of each device's range of the rollups key,
    // which leaves them part full: the file grows once (by about 7 %), then holds.
    const settled = sizes.shift()!;
    expect(Math.max(...sizes)).toBeLessThan(settled * 1.05);
    const span = await storedSpan(dbPath, 'a');
    expect(span.last - span.first).toBeLessThan(30 * day + hour);
  }, 120_000);

  it('gives the space of a large purge back to the disk, a bounded step at a time', async () => {
    clock = start + 40 * day;
    let b = await start_({ retentionSeconds: 60 * day, rollupRetentionSeconds: 60 * day });
    insertSamples(b.database.sqlite, { devices: ['a', 'b'], from: start, to: clock, every: 60, payload: knownPayload });
    await b.maintenance.runUntilIdle();
    const full = fileSize(b);
    await b.close();
    // Retention shortened to 5 days: most of the file is freed at once.
    b = await start_({ retentionSeconds: 5 * day, rollupRetentionSeconds: 5 * day });
    let steps = 0;
    while (!(await b.maintenance.runOnce()).idle) steps++;
    expect(steps).toBeGreaterThan(10);
    const pages = Number(b.database.sqlite.pragma('page_count', { simple: true }));
    expect(Number(b.database.sqlite.pragma('freelist_count', { simple: true }))).toBeLessThanOrEqual(pages * 0.05 + 1);
    expect(fileSize(b)).toBeLessThan(full * 0.3);
  }, 60_000);

  it('falls back to hourly rollups where 5-minute ones are gone, without a gap', async () => {
    clock = start + 100 * day;
    const b = await start_();
    const spec: SyntheticSamples = { devices: ['old'], from: start, to: clock, every: 600, payload: knownPayload };
    insertSamples(b.database.sqlite, spec);
    await b.maintenance.runUntilIdle();
    const fiveMinutesUntil = mark('rollup_300_purged_until');
    expect(fiveMinutesUntil).toBeGreaterThan(clock - 90 * day - hour);
    // Samples every 10 minutes: the first 5-minute bucket left is the first one with a sample.
    const [firstFiveMinutes] = queryDb<{ first: number }>(dbPath, 'select min(bucket) as first from rollups where resolution = 300');
    expect(firstFiveMinutes?.first).toBeGreaterThanOrEqual(fiveMinutesUntil);
    expect(firstFiveMinutes?.first).toBeLessThan(fiveMinutesUntil + 600);
    expect(queryDb(dbPath, 'select min(bucket) as first from rollups where resolution = 3600')).toEqual([{ first: Math.floor(start / hour) * hour }]);

    const all = await history('old', `?from=${start}&to=${clock}&fields=cpu`);
    expect(largestGap(all.body.series.cpu ?? [])).toBe(all.body.step);
    expectPoints(all.body.series.cpu ?? [], expectedBuckets(spec, 'old', sawtooth, all.body.step));

    const around = await history('old', `?from=${fiveMinutesUntil - day}&to=${fiveMinutesUntil + day}&step=30m&fields=cpu`);
    const points = around.body.series.cpu ?? [];
    const before = points.filter(([t]) => t < fiveMinutesUntil);
    const after = points.filter(([t]) => t >= fiveMinutesUntil);
    expect(largestGap(before)).toBe(hour);
    expect(largestGap(after)).toBe(1800);
    expect((after[0]?.[0] ?? 0) - (before.at(-1)?.[0] ?? 0)).toBe(hour);
    expectPoints(before, expectedBuckets(spec, 'old', sawtooth, hour));
    expectPoints(after, expectedBuckets(spec, 'old', sawtooth, 1800));
  }, 60_000);
});
