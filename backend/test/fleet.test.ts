// Fleet state as a sysadmin asks for it: devices, silent machines, open problems, alert history,
// rules in force. Real server and SQLite file; the t.clock is the test's.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { backendForEachTest, postJson, queryDb, request, startTestBackend } from './helpers.js';
import { healthyExample, originalExample, withAgent } from './payloads.js';

const noTimers = { silenceCheckEveryMs: 0, maintenanceEveryMs: 0 };
const t = backendForEachTest(noTimers);

const post = (body: unknown) => postJson(`${t.backend.url}/metrics`, body);
const get = <T = unknown>(path: string) => request<T>(`${t.backend.url}${path}`);

interface DeviceJson {
  id: string;
  status: string;
  active_alerts: number;
  interval_seconds: number | null;
  offline_after_seconds: number;
  latest: Record<string, unknown> | null;
  latest_sample?: Record<string, unknown>;
}

describe('GET /devices', () => {
  it('lists each device with status, open problems and the headline of its latest sample', async () => {
    await post(originalExample);
    await post({
      ...withAgent(healthyExample, 'web-1'),
      disks: [
        { mountpoint: '/', percent: 41 },
        { mountpoint: '/var', percent: 77.5 },
      ],
      sensors_temperature: { coretemp: [{ label: 'Core 0', current: 45, high: 85 }], nvme: [{ label: 'Composite', current: 51.9, high: 80 }] },
      host: { os: 'Debian GNU/Linux 12', kernel: '6.1.0' },
    });
    const devices = (await get<DeviceJson[]>('/devices')).body;
    expect(devices.map((d) => [d.id, d.status, d.active_alerts])).toEqual([
      ['demo-agent', 'online', 12],
      ['web-1', 'online', 0],
    ]);
    expect(devices[1]).toMatchObject({
      first_seen: t.clock,
      last_seen: t.clock,
      host: { os: 'Debian GNU/Linux 12', kernel: '6.1.0' },
      latest: {
        timestamp: t.clock,
        cpu_percent: 12,
        memory_percent: 40,
        swap_percent: 0,
        fullest_disk: { mountpoint: '/var', percent: 77.5 },
        hottest_sensor: { sensor: 'nvme/Composite', current: 51.9 },
      },
    });
  });

  it('GET /devices/:id adds the latest full sample; unknown ids get 404 with a message', async () => {
    await post({ ...healthyExample, interval_seconds: 10 });
    const one = await get<DeviceJson>('/devices/demo-agent');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 'demo-agent', interval_seconds: 10, offline_after_seconds: 60 });
    expect(one.body.latest_sample).toEqual({ ...healthyExample, interval_seconds: 10, timestamp: t.clock });
    const missing = await get<{ error: string }>('/devices/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/no device 'nope'.*GET \/devices/);
  });

  it('DELETE /devices/:id forgets the device and its open problems, keeps its history', async () => {
    await post(originalExample);
    const deleted = await request(`${t.backend.url}/devices/demo-agent`, { method: 'DELETE' });
    expect(deleted).toMatchObject({ status: 200, body: { ok: true, deleted: 'demo-agent' } });
    expect((await get<DeviceJson[]>('/devices')).body).toEqual([]);
    expect((await get('/alerts/active')).body).toEqual([]);
    expect(queryDb(t.dbPath, 'select (select count(*) from samples) as samples, (select count(*) from alerts) as alerts')).toEqual([{ samples: 1, alerts: 12 }]);
    expect((await request(`${t.backend.url}/devices/demo-agent`, { method: 'DELETE' })).status).toBe(404);
    // If it reports again, it is a new device and its problems fire anew.
    await post(originalExample);
    expect((await get<DeviceJson>('/devices/demo-agent')).body.active_alerts).toBe(12);
  });
});

describe('a silent device', () => {
  it('fires Device not reporting after 3 intervals (at least 60 s), once, and recovers when it reports', async () => {
    await post({ ...healthyExample, interval_seconds: 30 });
    t.clock += 90;
    expect(await t.backend.checkSilentDevices()).toEqual([]);
    t.clock += 1;
    expect(await t.backend.checkSilentDevices()).toEqual(['demo-agent']);
    expect(await t.backend.checkSilentDevices()).toEqual([]);
    expect((await get<DeviceJson[]>('/devices')).body[0]!.status).toBe('offline');
    const active = (await get<{ alert: string; severity: string; since: number }[]>('/alerts/active')).body;
    expect(active).toEqual([expect.objectContaining({ alert: 'Device not reporting', severity: 'critical', since: t.clock, rule: 'device_offline' })]);

    t.clock += 500;
    await post({ ...healthyExample, interval_seconds: 30 });
    const alerts = (await get<{ alert: string; severity: string }[]>('/alerts')).body.map((a) => [a.alert, a.severity]);
    expect(alerts).toEqual([
      ['Device not reporting', 'critical'],
      ['Device not reporting - recovered', 'warning'],
    ]);
    expect((await get<DeviceJson[]>('/devices')).body[0]!.status).toBe('online');
  });

  it('infers the interval from the gaps between samples when the agent does not say', async () => {
    for (let i = 0; i < 5; i++) {
      await post(healthyExample);
      t.clock += 40;
    }
    const device = (await get<DeviceJson>('/devices/demo-agent')).body;
    expect(device.interval_seconds).toBe(40);
    expect(device.offline_after_seconds).toBe(120);
  });

  it('is reported after a restart, judged from the stored last_seen', async () => {
    await post(healthyExample);
    await t.backend.close();
    t.clock += 3600;
    t.backend = await startTestBackend(t.dbPath, { ...noTimers, now: t.now });
    const active = (await get<{ device: string; alert: string }[]>('/alerts/active')).body;
    expect(active).toEqual([expect.objectContaining({ device: 'demo-agent', alert: 'Device not reporting' })]);
    // And the open alert survives a further restart without firing again.
    await t.backend.close();
    t.clock += 60;
    t.backend = await startTestBackend(t.dbPath, { ...noTimers, now: t.now });
    expect(queryDb(t.dbPath, "select count(*) as n from alerts where rule = 'device_offline'")).toEqual([{ n: 1 }]);
  });
});

describe('GET /alerts with filters and paging', () => {
  beforeEach(async () => {
    // 12 alerts for demo-agent at t, 12 recoveries at t+10, 12 for db-1 at t+20.
    await post(originalExample);
    t.clock += 10;
    await post(healthyExample);
    t.clock += 10;
    await post(withAgent(originalExample, 'db-1'));
  });

  it('filters by device, severity, rule and time', async () => {
    const byDevice = (await get<{ device: string }[]>('/alerts?device=db-1&limit=100')).body;
    expect(byDevice).toHaveLength(12);
    expect(byDevice.every((a) => a.device === 'db-1')).toBe(true);
    const critical = (await get<{ severity: string }[]>('/alerts?severity=critical&limit=100')).body;
    // 6 of the 12 rules are critical, for each of the two devices; recoveries are warnings.
    expect(critical).toHaveLength(12);
    expect(critical.every((a) => a.severity === 'critical')).toBe(true);
    const rule = (await get<{ alert: string; timestamp: number }[]>('/alerts?rule=cpu_high')).body;
    expect(rule.map((a) => a.alert)).toEqual(['High CPU usage', 'High CPU usage - recovered', 'High CPU usage']);
    const window = (await get<{ timestamp: number }[]>(`/alerts?since=${t.clock - 15}&until=${t.clock}&limit=100`)).body;
    expect(window).toHaveLength(12);
    expect(window.every((a) => a.timestamp === t.clock - 10)).toBe(true);
    const iso = new Date((t.clock - 10) * 1000).toISOString();
    expect((await get<unknown[]>(`/alerts?since=${iso}&limit=100`)).body).toHaveLength(24);
  });

  it('pages through all of history with the cursor, each page in time order', async () => {
    const seen: number[] = [];
    let path = '/alerts?limit=7';
    for (let pages = 0; pages < 10; pages++) {
      const page = await get<{ id: number }[]>(path);
      seen.unshift(...page.body.map((a) => a.id));
      const cursor = page.headers.get('x-next-cursor');
      if (!cursor) break;
      expect(page.headers.get('link')).toContain(`cursor=${cursor}`);
      path = `/alerts?limit=7&cursor=${cursor}`;
    }
    expect(seen).toEqual(Array.from({ length: 36 }, (_, i) => i + 1));
  });

  it('rejects bad parameters with 400 naming each one', async () => {
    const bad = await get<{ error: string; details: { field: string }[] }>('/alerts?severity=fatal&limit=0&since=yesterday&cursor=xyz');
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d) => d.field)).toEqual(['severity', 'since', 'limit', 'cursor']);
    expect(bad.body.error).toMatch(/severity must be one of critical, warning/);
  });

  it('GET /alerts/active lists what is open now, from the alert state, with when it started', async () => {
    const active = (await get<{ device: string; alert: string; since: number }[]>('/alerts/active')).body;
    expect(active).toHaveLength(12);
    expect(active.every((a) => a.device === 'db-1' && a.since === t.clock)).toBe(true);
    expect((await get<unknown[]>('/alerts/active?device=demo-agent')).body).toEqual([]);
  });
});

describe('a rules file', () => {
  async function restartWithRules(text: string, name = 'rules.yaml') {
    const path = join(t.dir.path, name);
    writeFileSync(path, text);
    await t.backend.close();
    t.backend = await startTestBackend(t.dbPath, { ...noTimers, now: t.now }, { rulesFile: path });
    return path;
  }

  it('raises the CPU threshold for one device only', async () => {
    await restartWithRules('devices:\n  - match: build-*\n    rules:\n      cpu_high: { threshold: 98 }\n');
    await post({ agent_id: 'build-7', cpu: { total_percent: 95 } });
    await post({ agent_id: 'web-1', cpu: { total_percent: 95 } });
    const active = (await get<{ device: string; alert: string }[]>('/alerts/active')).body;
    expect(active.map((a) => [a.device, a.alert])).toEqual([['web-1', 'High CPU usage']]);
    const rules = (await get<{ rules: { id: string; threshold: number; trigger: string }[] }>('/rules?device=build-7')).body;
    expect(rules.rules.find((r) => r.id === 'cpu_high')).toMatchObject({ threshold: 98, trigger: 'cpu.total_percent > 98' });
  });

  it('fires a rule with for: only once the condition has lasted, across a restart', async () => {
    const path = await restartWithRules('rules:\n  cpu_high: { for: 2m }\n');
    await post({ agent_id: 'h', cpu: { total_percent: 95 } });
    t.clock += 60;
    await post({ agent_id: 'h', cpu: { total_percent: 96 } });
    expect((await get<unknown[]>('/alerts')).body).toEqual([]);
    await t.backend.close();
    t.backend = await startTestBackend(t.dbPath, { ...noTimers, now: t.now }, { rulesFile: path });
    t.clock += 60;
    await post({ agent_id: 'h', cpu: { total_percent: 97 } });
    const alerts = (await get<{ alert: string; timestamp: number }[]>('/alerts')).body;
    expect(alerts.map((a) => [a.alert, a.timestamp])).toEqual([['High CPU usage', t.clock]]);
    expect((await get<{ since: number }[]>('/alerts/active')).body[0]!.since).toBe(t.clock - 120);
  });

  it('with clear_below, does not flap around the threshold', async () => {
    await restartWithRules('{"rules": {"cpu_high": {"clear_below": 80}}}', 'rules.json');
    for (const percent of [95, 89, 91, 85, 92, 79]) {
      await post({ agent_id: 'h', cpu: { total_percent: percent } });
      t.clock += 10;
    }
    expect((await get<{ alert: string }[]>('/alerts')).body.map((a) => a.alert)).toEqual(['High CPU usage', 'High CPU usage - recovered']);
  });

  it('GET /rules shows the original table without a file', async () => {
    const shown = (await get<{ source: string; rules: { id: string; alert: string; threshold: number | null; severity: string }[] }>('/rules')).body;
    expect(shown.source).toMatch(/built-in/);
    expect(shown.rules).toHaveLength(13);
    expect(shown.rules[0]).toMatchObject({ id: 'cpu_high', alert: 'High CPU usage', threshold: 90, severity: 'critical', enabled: true, for_seconds: 0 });
    expect(shown.rules.find((r) => r.id === 'critical_process_down')?.alert).toBe('Critical process <name> is not running');
    expect(shown.rules.find((r) => r.id === 'overheat')).toMatchObject({ threshold: null, default_high: 80, trigger: 'sensors_temperature current > high (80 for a sensor without high)' });
  });
});
