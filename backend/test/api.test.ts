// The original system's API, against a real t.backend on an ephemeral port with a real SQLite file.
import { describe, expect, it } from 'vitest';
import { backendForEachTest, onPostgres, postJson, queryDb, request } from './helpers.js';
import { healthyExample, originalAlertTexts, originalExample, withAgent } from './payloads.js';

interface AlertJson {
  device: string;
  alert: string;
  severity: string;
  timestamp: number;
  rule: string;
  subject: string;
  value: number | null;
  threshold: number | null;
}

const t = backendForEachTest();

const post = (body: unknown) => postJson<Record<string, unknown>>(`${t.backend.url}/metrics`, body);
const alerts = async () => (await request<AlertJson[]>(`${t.backend.url}/alerts`)).body;

describe('GET / and GET /health', () => {
  it('answers the root with the original message', async () => {
    expect(await request(`${t.backend.url}/`)).toMatchObject({ status: 200, body: { msg: 'Backend is running' } });
  });

  it('counts devices and every alert ever stored', async () => {
    expect((await request(`${t.backend.url}/health`)).body).toEqual({ status: 'ok', devices_reporting: 0, total_alerts: 0, server_time: t.clock });
    await post(originalExample);
    await post(withAgent(originalExample, 'second'));
    t.clock += 10;
    await post(healthyExample);
    expect((await request(`${t.backend.url}/health`)).body).toEqual({ status: 'ok', devices_reporting: 2, total_alerts: 36, server_time: t.clock });
  });
});

describe('POST /metrics and the alert engine', () => {
  it("answers the original's example with ok and fires exactly the 12 alerts of its table", async () => {
    const answer = await post(originalExample);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true });
    const fired = await alerts();
    expect(fired.map((a) => a.alert)).toEqual(originalAlertTexts);
    expect(fired.every((a) => a.device === 'demo-agent' && a.timestamp === t.clock)).toBe(true);
    expect(fired.find((a) => a.alert === 'High swap usage')).toMatchObject({ severity: 'warning', rule: 'swap_high', value: 55, threshold: 50 });
  });

  it('fires a problem once while it lasts, and recovers all 12 when the machine is healthy', async () => {
    await post(originalExample);
    t.clock += 10;
    await post(originalExample);
    expect(await alerts()).toHaveLength(12);
    t.clock += 10;
    await post(healthyExample);
    const all = queryDb<{ alert: string; severity: string; kind: string; timestamp: number }>(t.dbPath, 'select alert, severity, kind, timestamp from alerts order by id');
    expect(all).toHaveLength(24);
    const recovered = all.slice(12);
    expect(recovered.map((a) => a.alert)).toEqual(originalAlertTexts.map((t) => `${t} - recovered`));
    expect(recovered.every((a) => a.severity === 'warning' && a.kind === 'recovered' && a.timestamp === t.clock)).toBe(true);
    expect(queryDb(t.dbPath, 'select * from alert_state')).toEqual([]);
  });

  it('keeps alert state per device', async () => {
    await post(originalExample);
    await post(withAgent(healthyExample, 'calm-host'));
    await post(withAgent(originalExample, 'calm-host'));
    const byDevice = queryDb<{ device_id: string; n: number }>(t.dbPath, 'select device_id, count(*) as n from alert_state group by device_id order by device_id');
    expect(byDevice).toEqual([
      { device_id: 'calm-host', n: 12 },
      { device_id: 'demo-agent', n: 12 },
    ]);
  });

  it("stores every sample with its payload readable by SQLite's json_extract or PostgreSQL's #>>", async () => {
    await post(originalExample);
    t.clock += 10;
    await post({ ...healthyExample, extra_field: { kept: 'yes' } });
    const [mount, extra] = onPostgres
      ? [`payload::json #>> '{disks,0,mountpoint}'`, `payload::json #>> '{extra_field,kept}'`]
      : [`json_extract(payload, '$.disks[0].mountpoint')`, `json_extract(payload, '$.extra_field.kept')`];
    const rows = queryDb<Record<string, unknown>>(
      t.dbPath,
      `select device_id, timestamp, cpu_percent, memory_percent, swap_percent, ${mount} as mount, ${extra} as extra
         from samples order by id`,
    );
    expect(rows).toEqual([
      { device_id: 'demo-agent', timestamp: t.clock - 10, cpu_percent: 95, memory_percent: 92, swap_percent: 55, mount: '/', extra: null },
      { device_id: 'demo-agent', timestamp: t.clock, cpu_percent: 12, memory_percent: 40, swap_percent: 0, mount: '/', extra: 'yes' },
    ]);
  });

  it('accepts a body sent without a JSON content type, as the original did', async () => {
    const answer = await request(`${t.backend.url}/metrics`, { method: 'POST', body: JSON.stringify(healthyExample) });
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
  });
});

describe('GET /metrics', () => {
  it('returns the latest sample of each device with its timestamp and unknown fields', async () => {
    expect((await request(`${t.backend.url}/metrics`)).body).toEqual([]);
    await post(originalExample);
    await post(withAgent(healthyExample, 'other'));
    t.clock += 10;
    await post({ ...healthyExample, note: 'kept' });
    const latest = (await request<Record<string, unknown>[]>(`${t.backend.url}/metrics`)).body;
    expect(latest).toEqual([
      { ...healthyExample, note: 'kept', timestamp: t.clock },
      { ...withAgent(healthyExample, 'other'), timestamp: t.clock - 10 },
    ]);
  });
});

describe('GET /alerts', () => {
  it('lists the 20 most recent alerts, oldest of them first', async () => {
    await post(originalExample); // 12 alerts at t0
    t.clock += 10;
    await post(healthyExample); // 12 recoveries at t0+10
    t.clock += 10;
    await post(originalExample); // 12 more at t0+20
    const listed = await alerts();
    expect(listed).toHaveLength(20);
    const stored = queryDb<{ alert: string; timestamp: number }>(t.dbPath, 'select alert, timestamp from alerts order by id desc limit 20').reverse();
    expect(listed.map((a) => [a.alert, a.timestamp])).toEqual(stored.map((a) => [a.alert, a.timestamp]));
    expect(listed[0]!.alert).toBe('High inode usage - recovered');
    expect(listed[19]!.alert).toBe('Critical process nginx is not running');
  });

  it('keeps the four original fields and adds rule, subject, value and threshold', async () => {
    await post(originalExample);
    const [first] = await alerts();
    expect(first).toEqual({
      device: 'demo-agent',
      alert: 'High CPU usage',
      severity: 'critical',
      timestamp: t.clock,
      id: 1,
      kind: 'fired',
      rule: 'cpu_high',
      subject: '',
      value: 95,
      threshold: 90,
    });
  });
});

describe('HTTP details', () => {
  it('sends no CORS headers by default: pages of other origins get no access (see auth.test.ts)', async () => {
    const answer = await request(`${t.backend.url}/health`, { headers: { Origin: 'http://dashboard.example' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${t.backend.url}/metrics`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://dashboard.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('answers unknown paths and methods with JSON errors', async () => {
    expect(await request(`${t.backend.url}/nope`)).toMatchObject({ status: 404, body: { error: 'no such endpoint: GET /nope' } });
    expect(await request(`${t.backend.url}/metrics`, { method: 'PUT' })).toMatchObject({ status: 405, body: { error: expect.stringContaining('PUT is not allowed') } });
  });
});
