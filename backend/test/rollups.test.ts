// Rollups and retention end to end, on whichever database the run uses: samples sent over HTTP,
// maintenance run to idle, and what stays is what the README promises.
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { HistoryResponse } from '../history/query.js';
import type { RunningBackend } from '../server.js';
import { postJson, queryDb, request, startTestBackend, tempDir } from './helpers.js';
import { healthyExample } from './payloads.js';

const hour = 3600;
const start = 1_700_002_800; // a whole hour
const hours = 6;

let dir: ReturnType<typeof tempDir>;
let dbPath: string;
let backend: RunningBackend;
let clock: number;

beforeEach(async () => {
  dir = tempDir();
  dbPath = join(dir.path, 'monitor.sqlite');
  clock = start;
  backend = await startTestBackend(dbPath, { now: () => clock, maintenanceEveryMs: 0 }, { retentionSeconds: 2 * hour, rollupRetentionSeconds: 4 * hour });
});

afterEach(async () => {
  await backend.close();
  await dir.remove();
});

it('rolls a minute-by-minute device up by the hour and keeps raw samples only for --retention', async () => {
  // CPU 0..59 within each hour: every hour averages 29.5 and peaks at 59.
  for (let minute = 0; minute < hours * 60; minute++) {
    clock = start + minute * 60;
    const sample = { ...healthyExample, agent_id: 'r', cpu: { ...healthyExample.cpu, total_percent: minute % 60 } };
    expect((await postJson(`${backend.url}/metrics`, sample)).status).toBe(200);
  }
  const end = start + hours * hour;
  clock = end + 120;
  await backend.maintenance.runUntilIdle();

  const hourly = queryDb<{ bucket: number; avg: number; max: number; count: number }>(
    dbPath,
    "select bucket, avg, max, count from rollups where device_id = 'r' and resolution = 3600 and series = 'cpu' order by bucket",
  );
  // Older hours are past --rollup-retention (4 h); each kept hour summarises its 60 samples.
  expect(hourly.map((r) => r.bucket)).toEqual([2, 3, 4, 5].map((h) => start + h * hour));
  for (const row of hourly) expect(row).toEqual({ bucket: row.bucket, avg: 29.5, max: 59, count: 60 });

  const [raw] = queryDb<{ n: number; oldest: number }>(dbPath, "select count(*) as n, min(timestamp) as oldest from samples where device_id = 'r'");
  expect(raw!.oldest).toBeGreaterThanOrEqual(end - 3 * hour);
  expect(raw!.n).toBeLessThan(hours * 60);
  expect(raw!.n).toBeGreaterThanOrEqual(2 * 60);

  // History still covers the hours whose raw samples are gone, from the rollups.
  const history = await request<HistoryResponse>(`${backend.url}/devices/r/history?from=${start + 2 * hour}&to=${end}&step=3600`);
  expect(history.status).toBe(200);
  const cpu = history.body.series.cpu as [number, number, number][];
  expect(cpu.map(([t]) => t)).toEqual([2, 3, 4, 5].map((h) => start + h * hour));
  for (const [, avg, max] of cpu) expect({ avg, max }).toEqual({ avg: 29.5, max: 59 });

  // A second pass finds nothing left to do.
  expect((await backend.maintenance.runOnce()).idle).toBe(true);
});
