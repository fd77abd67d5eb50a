// GET /devices/:id/history and the rollups behind it, on a real backend with a real SQLite file.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryResponse } from '../history/query.js';
import { headlineSeries } from '../history/series.js';
import type { RunningBackend } from '../server.js';
import { type SyntheticSamples, expectedBuckets, insertSamples, knownPayload, sawtooth } from './history-fixtures.js';
import { postJson, queryDb, request, startTestBackend, tempDir } from './helpers.js';
import { healthyExample, originalExample } from './payloads.js';
import { storedSamples } from './stored-samples.js';

let dir: ReturnType<typeof tempDir>;
let dbPath: string;
let backend: RunningBackend;
let clock: number;

const day = 86400;
// Not aligned to an hour, so the first and last buckets are partial.
const start = 1_699_001_234;

beforeEach(async () => {
  dir = tempDir();
  dbPath = join(dir.path, 'monitor.sqlite');
  clock = start;
  backend = await startTestBackend(dbPath, { now: () => clock, maintenanceEveryMs: 0 });
});

afterEach(async () => {
  await backend.close();
  await dir.remove();
});

const history = (device: string, query = '') => request<HistoryResponse>(`${backend.url}/devices/${encodeURIComponent(device)}/history${query}`);

/** Fail with the first point that differs from what the generator says it should be. */
function expectPointsMatch(points: [number, number, number][] | undefined, expected: Map<number, { avg: number; max: number }>): void {
  expect(points?.map(([t]) => t)).toEqual([...expected.keys()].sort((a, b) => a - b));
  for (const [t, avg, max] of points ?? []) {
    const want = expected.get(t);
    expect({ t, avg: Math.round(avg * 1e6) / 1e6, max }).toEqual({ t, avg: Math.round((want?.avg ?? Number.NaN) * 1e6) / 1e6, max: want?.max });
  }
}

describe('GET /devices/:id/history', () => {
  it('answers 404 for a device that never reported, and 400 naming bad parameters', async () => {
    expect(await history('ghost')).toMatchObject({
      status: 404,
      body: { error: "no device 'ghost': it has never reported, or was deleted; GET /devices lists the known ones" },
    });
    await postJson(`${backend.url}/metrics`, healthyExample);
    const bad = await history('demo-agent', '?from=last%20week&step=-5&fields=cpu,fan');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: expect.stringMatching(/^invalid history query: from must be Unix seconds or an ISO 8601 time/),
      details: [
        { field: 'from', message: expect.stringContaining("got 'last week'") },
        { field: 'step', message: expect.stringContaining("got '-5'") },
        { field: 'fields', message: expect.stringContaining("got 'fan'") },
      ],
    });
    const backwards = await history('demo-agent', `?from=${clock}&to=${clock - 60}`);
    expect(backwards).toMatchObject({ status: 400, body: { details: [{ field: 'from', message: expect.stringContaining('must be before to') }] } });
    // 400 digits read as -Infinity: the answer once came back 200 with "from": null.
    const endless = await history('demo-agent', `?from=-${'9'.repeat(400)}`);
    expect(endless).toMatchObject({ status: 400, body: { details: [{ field: 'from', message: expect.stringContaining('must be Unix seconds') }] } });
  });

  it('serves the samples just received, before any rollup, with the last 24 hours by default', async () => {
    await postJson(`${backend.url}/metrics`, originalExample);
    clock += 10;
    await postJson(`${backend.url}/metrics`, healthyExample);
    const answer = await history('demo-agent');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ device: 'demo-agent', from: clock - day, to: clock, step: 300 });
    expect(Object.keys(answer.body.series)).toEqual([...headlineSeries(originalExample).keys()].sort());
    // Both samples fall in the 5-minute bucket that started at 1_699_001_100.
    expect(answer.body.series.cpu).toEqual([[1_699_001_100, (95 + 12) / 2, 95]]);
    expect(answer.body.series['net:#0:errin']).toEqual([[1_699_001_100, 75, 150]]);
    const iso = await history('demo-agent', '?from=2023-11-03T08:00:00Z&to=2023-11-03T09:00:00%2B00:00&step=5m&fields=cpu');
    expect(iso.body).toMatchObject({ from: 1_698_998_400, to: 1_699_002_000, step: 300, series: { cpu: answer.body.series.cpu } });
    const cpuOnly = await history('demo-agent', '?fields=cpu,swap');
    expect(Object.keys(cpuOnly.body.series)).toEqual(['cpu', 'swap']);
    expect(cpuOnly.body.series.cpu).toEqual(answer.body.series.cpu);
  });

  it('answers a week of 10-second samples with at most 500 points per series, averages and maxima right', async () => {
    const spec: SyntheticSamples = { devices: ['saw'], from: start, to: start + 7 * day, every: 10, payload: knownPayload };
    insertSamples(backend.database.sqlite, spec);
    clock = spec.to;
    await backend.maintenance.runUntilIdle();

    const began = performance.now();
    const week = await history('saw', `?from=${spec.from}&to=${clock}`);
    const took = performance.now() - began;
    expect(week.status).toBe(200);
    expect(week.body.step).toBe(1800);
    expect(JSON.stringify(week.body).length).toBeLessThan(150_000);
    expect(took).toBeLessThan(2000);
    for (const points of Object.values(week.body.series)) expect(points.length).toBeLessThanOrEqual(500);
    expectPointsMatch(week.body.series.cpu, expectedBuckets(spec, 'saw', sawtooth, 1800));
    expectPointsMatch(week.body.series['disk:/:percent'], expectedBuckets(spec, 'saw', (t) => 50 + (Math.floor(t / day) % 10), 1800));

    // A step that would give too many points is raised; an hourly step reads hourly rollups.
    const raised = await history('saw', `?from=${spec.from}&to=${clock}&step=10&fields=cpu`);
    expect(raised.body.step).toBe(1800);
    const hourly = await history('saw', `?from=${spec.from}&to=${clock}&step=1h&fields=cpu`);
    expect(hourly.body.step).toBe(3600);
    expectPointsMatch(hourly.body.series.cpu, expectedBuckets(spec, 'saw', sawtooth, 3600));
    // A short window at a fine step comes from the raw samples.
    const fine = { from: start + 3 * day + 17, to: start + 3 * day + 17 + 3600 };
    const minute = await history('saw', `?from=${fine.from}&to=${fine.to}&step=60&fields=cpu`);
    expect(minute.body.step).toBe(60);
    expectPointsMatch(minute.body.series.cpu, expectedBuckets(spec, 'saw', sawtooth, 60, { from: Math.floor(fine.from / 60) * 60, to: Math.floor(fine.to / 60) * 60 + 60 }));
  });

  it('joins rollups and the samples not rolled up yet without a gap', async () => {
    const spec: SyntheticSamples = { devices: ['edge'], from: start, to: start + 6 * 3600, every: 10, payload: knownPayload };
    insertSamples(backend.database.sqlite, spec);
    clock = spec.to;
    await backend.maintenance.runUntilIdle();
    const [{ value: watermark }] = queryDb<{ value: number }>(dbPath, "select value from maintenance where key = 'rollup_300_until'") as [{ value: number }];
    expect(watermark).toBeLessThan(clock);
    for (const step of [300, 600, 3600]) {
      const answer = await history('edge', `?from=${start}&to=${clock}&step=${step}&fields=cpu`);
      expectPointsMatch(answer.body.series.cpu, expectedBuckets(spec, 'edge', sawtooth, step));
    }
  });
});

describe('rollups', () => {
  it('hold the average, maximum and count of the raw samples in each 5-minute and hourly bucket', async () => {
    // Two devices with irregular timing and values.
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const values = new Map<string, number>();
    const spec: SyntheticSamples = {
      devices: ['r1', 'r2'],
      from: start,
      to: start + 5 * 3600,
      every: 7,
      payload: (device, t) => {
        const cpu = Math.round(random() * 1000) / 10;
        values.set(`${device}@${t}`, cpu);
        return { agent_id: device, cpu: { total_percent: cpu } };
      },
    };
    insertSamples(backend.database.sqlite, spec);
    clock = spec.to + 3600;
    await backend.maintenance.runUntilIdle();
    const stored = await storedSamples(dbPath);
    expect(stored).toHaveLength(queryDb<{ n: number }>(dbPath, 'select sum(count) as n from sample_blocks')[0]!.n + queryDb<{ n: number }>(dbPath, 'select count(*) as n from samples')[0]!.n);
    expect(queryDb<{ n: number }>(dbPath, 'select count(*) as n from sample_blocks')[0]!.n).toBeGreaterThan(0);
    for (const resolution of [300, 3600]) {
      // Raw samples as stored, rows or packed blocks (the older hours are packed by now).
      const buckets = new Map<string, { device_id: string; bucket: number; sum: number; max: number; count: number }>();
      for (const s of stored) {
        const bucket = Math.floor(s.timestamp / resolution) * resolution;
        const key = `${s.deviceId}@${bucket}`;
        const known = buckets.get(key) ?? { device_id: s.deviceId, bucket, sum: 0, max: Number.NEGATIVE_INFINITY, count: 0 };
        known.sum += s.cpuPercent ?? 0;
        known.max = Math.max(known.max, s.cpuPercent ?? 0);
        known.count++;
        buckets.set(key, known);
      }
      const raw = [...buckets.values()]
        .sort((a, b) => a.device_id.localeCompare(b.device_id) || a.bucket - b.bucket)
        .map((b) => ({ device_id: b.device_id, bucket: b.bucket, avg: b.sum / b.count, max: b.max, count: b.count }));
      const rolled = queryDb<{ device_id: string; bucket: number; avg: number; max: number; count: number }>(
        dbPath,
        "select device_id, bucket, avg, max, count from rollups where resolution = ? and series = 'cpu' order by device_id, bucket",
        resolution,
      );
      expect(rolled.length).toBe(raw.length);
      rolled.forEach((row, i) => {
        expect(row).toMatchObject({ device_id: raw[i]?.device_id, bucket: raw[i]?.bucket, max: raw[i]?.max, count: raw[i]?.count });
        expect(row.avg).toBeCloseTo(raw[i]?.avg ?? Number.NaN, 9);
      });
    }
    expect(values.size).toBeGreaterThan(5000);
  });

  it('are corrected when a sample arrives for a bucket already rolled up', async () => {
    const spec: SyntheticSamples = { devices: ['demo-agent'], from: start - 3 * 3600, to: start, every: 60, payload: knownPayload };
    insertSamples(backend.database.sqlite, spec);
    await backend.maintenance.runUntilIdle();
    const late = start - 2 * 3600 + 5;
    const bucket = Math.floor(late / 300) * 300;
    const hour = Math.floor(late / 3600) * 3600;
    const rollupOf = (resolution: number, at: number) =>
      queryDb<{ avg: number; max: number; count: number }>(dbPath, "select avg, max, count from rollups where resolution = ? and bucket = ? and series = 'cpu'", resolution, at)[0];
    const before = { fiveMinutes: rollupOf(300, bucket), hour: rollupOf(3600, hour) };
    expect(before.fiveMinutes?.count).toBe(5);

    // Measured two hours ago, sent now (an agent emptying its spool): 95% CPU.
    const answer = await postJson<{ outcome: string; timestamp: number }>(`${backend.url}/metrics`, { ...originalExample, age_seconds: clock - late });
    expect(answer.body).toMatchObject({ outcome: 'late', timestamp: late });
    expect(queryDb(dbPath, "select rollup_dirty_from from devices where id = 'demo-agent'")).toEqual([{ rollup_dirty_from: late }]);

    await backend.maintenance.runUntilIdle();
    expect(queryDb(dbPath, "select rollup_dirty_from from devices where id = 'demo-agent'")).toEqual([{ rollup_dirty_from: null }]);
    const after = { fiveMinutes: rollupOf(300, bucket), hour: rollupOf(3600, hour) };
    expect(after.fiveMinutes).toEqual({ count: 6, max: 95, avg: expect.closeTo(((before.fiveMinutes?.avg ?? 0) * 5 + 95) / 6, 9) });
    expect(after.hour).toEqual({
      count: (before.hour?.count ?? 0) + 1,
      max: Math.max(before.hour?.max ?? 0, 95),
      avg: expect.closeTo(((before.hour?.avg ?? 0) * (before.hour?.count ?? 0) + 95) / ((before.hour?.count ?? 0) + 1), 9),
    });
    // The series it brought (a sensor, interfaces) now has a rollup of its own.
    expect(queryDb(dbPath, "select count from rollups where resolution = 300 and bucket = ? and series = 'sensor:coretemp/Core 0'", bucket)).toEqual([{ count: 1 }]);
  });

  it("catch the first sample of a new device when it is older than the rollups' watermark", async () => {
    insertSamples(backend.database.sqlite, { devices: ['other'], from: start - 3600, to: start, every: 60, payload: knownPayload });
    await backend.maintenance.runUntilIdle();
    const late = start - 1800;
    await postJson(`${backend.url}/metrics`, { ...healthyExample, agent_id: 'newcomer', age_seconds: clock - late });
    await backend.maintenance.runUntilIdle();
    expect(queryDb(dbPath, "select bucket, count from rollups where device_id = 'newcomer' and resolution = 300 and series = 'cpu'")).toEqual([
      { bucket: Math.floor(late / 300) * 300, count: 1 },
    ]);
  });
});
