// Samples in the exact shapes the original system's Python agent sends (psutil; recorded from four
// kinds of machine), replayed through a real backend: all accepted, judged by the original's rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendForEachTest, postJson, queryDb, request } from './helpers.js';

const t = backendForEachTest();

type Sample = Record<string, unknown> & { agent_id: string; timestamp: number };
const recorded = (name: string): Sample => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/original-agent', `${name}.json`), 'utf8')) as Sample;

const post = (body: unknown) => postJson<Record<string, unknown>>(`${t.backend.url}/metrics`, body);
const get = <T>(path: string) => request<T>(`${t.backend.url}${path}`);
const alertsOf = (device: string) =>
  queryDb<{ alert: string; severity: string; subject: string }>(t.dbPath, 'select alert, severity, subject from alerts where device_id = ? order by id', device);

// What the original's rules give for each recording, with its 80 °C limit for sensors without one.
const expected: Record<string, string[]> = {
  laptop: ['Overheat detected', 'Critical process nginx is not running', 'Critical process postgres is not running'],
  'server-no-sensors': [
    'High swap usage',
    'Low Disk Space',
    'Network interface errors detected',
    'Custom Alert triggered',
    'Zombie processes detected',
    'Critical process nginx is not running',
  ],
  'statfs-failed': ['Low Disk Space', 'Custom Alert triggered', 'Critical process postgres is not running'],
  'gpu-box': ['High CPU usage', 'Custom Alert triggered', 'Critical process nginx is not running', 'Critical process postgres is not running'],
};

describe("the original agent's samples", () => {
  it.each(Object.keys(expected))('%s: accepted every time, its alerts fired once over repeated samples', async (name) => {
    const sample = recorded(name);
    for (let i = 0; i < 3; i++) {
      const answer = await post({ ...sample, timestamp: sample.timestamp + i * 5 });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toMatchObject({ ok: true });
      t.clock += 5;
    }
    expect(alertsOf(sample.agent_id).map((a) => a.alert)).toEqual(expected[name]);
    expect(queryDb(t.dbPath, 'select count(*) as n from samples')).toEqual([{ n: 3 }]);
  });

  it('names subjects as the original agent does: interfaces by `interface`, unlabeled sensors by position', async () => {
    await post(recorded('laptop'));
    await post(recorded('server-no-sensors'));
    const subjects = queryDb<{ subject: string }>(t.dbPath, "select subject from alerts where rule in ('overheat', 'network_errors') order by id");
    expect(subjects.map((s) => s.subject)).toEqual(['acpitz/#0', 'eno2']);
  });

  it("keeps the agent's own timestamp in the stored payload and shows it beside fleetmon's time", async () => {
    const sample = recorded('laptop');
    await post(sample);
    const [stored] = queryDb<{ timestamp: number; agent_timestamp: number }>(
      t.dbPath,
      "select timestamp, json_extract(payload, '$.timestamp') as agent_timestamp from samples",
    );
    expect(stored).toEqual({ timestamp: t.clock, agent_timestamp: sample.timestamp });
    const [shown] = (await get<Record<string, unknown>[]>('/metrics')).body;
    expect(shown).toMatchObject({ agent_id: sample.agent_id, timestamp: t.clock, agent_timestamp: sample.timestamp, device: 'thinkpad-x1' });
  });

  it('takes `device` for a missing agent_id, then "unknown", as the original backend does', async () => {
    const { agent_id: _dropped, ...withoutId } = recorded('statfs-failed');
    expect((await post(withoutId)).status).toBe(200);
    const { device: _device, ...anonymous } = withoutId;
    expect((await post({ ...anonymous, agent_id: '' })).status).toBe(200);
    expect(queryDb(t.dbPath, 'select id from devices order by id')).toEqual([{ id: 'files-1' }, { id: 'unknown' }]);
  });

  it('still refuses impossible numbers, naming the field', async () => {
    const sample = recorded('laptop');
    const answer = await post({ ...sample, memory: { ...(sample.memory as object), percent: -3 } });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ details: [{ field: 'memory.percent', message: 'must be between 0 and 100' }] });
    expect(queryDb(t.dbPath, 'select count(*) as n from samples')).toEqual([{ n: 0 }]);
  });
});

describe('a reading that was not measured', () => {
  it('between two samples, neither recovers the open problem nor fires it again', async () => {
    const sample = recorded('statfs-failed');
    await post(sample);
    t.clock += 10;
    // The disk collector failed: no `disks` at all; then statfs failed on the full mount only.
    const { disks: _disks, ...noDisks } = sample;
    await post(noDisks);
    t.clock += 10;
    const disks = sample.disks as Record<string, unknown>[];
    await post({ ...sample, disks: [disks[0], { ...disks[1], percent: null, inode_percent: null }] });
    t.clock += 10;
    await post(sample);
    expect(alertsOf(sample.agent_id).filter((a) => a.alert.startsWith('Low Disk Space')).map((a) => a.alert)).toEqual(['Low Disk Space']);
    // Once measured healthy, it recovers.
    t.clock += 10;
    await post({ ...sample, disks: [disks[0], { ...disks[1], percent: 50 }] });
    expect(alertsOf(sample.agent_id).filter((a) => a.alert.startsWith('Low Disk Space')).map((a) => a.alert)).toEqual([
      'Low Disk Space',
      'Low Disk Space - recovered',
    ]);
  });

  it('a sensor whose reading is null keeps its overheat open', async () => {
    const sample = recorded('laptop');
    await post(sample);
    const sensors = sample.sensors_temperature as Record<string, Record<string, unknown>[]>;
    t.clock += 10;
    await post({ ...sample, sensors_temperature: { ...sensors, acpitz: [{ label: '', current: null, high: null, critical: 128 }] } });
    expect(alertsOf(sample.agent_id).map((a) => a.alert)).not.toContain('Overheat detected - recovered');
    t.clock += 10;
    await post({ ...sample, sensors_temperature: { ...sensors, acpitz: [{ label: '', current: 60, high: null, critical: 128 }] } });
    expect(alertsOf(sample.agent_id).map((a) => a.alert)).toContain('Overheat detected - recovered');
  });
});

describe("the original dashboard's endpoints", () => {
  it('GET /metrics/{id}: the latest sample of that agent, or {} for an unknown id', async () => {
    const laptop = recorded('laptop');
    await post(laptop);
    t.clock += 10;
    await post({ ...laptop, cpu: { total_percent: 77 } });
    await post(recorded('gpu-box'));
    const answer = await get<Record<string, unknown>>(`/metrics/${laptop.agent_id}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ agent_id: laptop.agent_id, cpu: { total_percent: 77 }, timestamp: t.clock });
    expect(await get('/metrics/no-such-agent')).toMatchObject({ status: 200, body: {} });
  });

  it('GET /history/{id}?samples=N: the last N CPU and memory percents, oldest first, padded at the front', async () => {
    const id = 'hist-1';
    for (const [cpu, mem] of [
      [10, 50],
      [20, 51],
      [30, null],
      [40, 53],
    ]) {
      await post({ agent_id: id, cpu: { total_percent: cpu }, memory: { percent: mem } });
      t.clock += 10;
    }
    expect((await get(`/history/${id}?samples=6`)).body).toEqual({ cpu: [10, 10, 10, 20, 30, 40], mem: [50, 50, 50, 51, 51, 53], interval_sec: 10 });
    // A value not measured at the start of the window takes the first one measured in it.
    expect((await get(`/history/${id}?samples=2`)).body).toEqual({ cpu: [30, 40], mem: [53, 53], interval_sec: 10 });
    const defaults = (await get<{ cpu: number[] }>(`/history/${id}`)).body;
    expect(defaults.cpu).toHaveLength(24);
  });

  it('GET /history/{id}: zeros and interval_sec 5 for an unknown id; interval_sec kept between 1 and 60', async () => {
    expect((await get('/history/nobody?samples=3')).body).toEqual({ cpu: [0, 0, 0], mem: [0, 0, 0], interval_sec: 5 });
    await post({ agent_id: 'slow', cpu: { total_percent: 1 }, memory: { percent: 1 } });
    t.clock += 600;
    await post({ agent_id: 'slow', cpu: { total_percent: 2 }, memory: { percent: 2 } });
    expect((await get('/history/slow?samples=2')).body).toEqual({ cpu: [1, 2], mem: [1, 2], interval_sec: 60 });
    expect((await get('/history/slow?samples=0')).status).toBe(400);
    expect((await get('/history/slow?samples=many')).body).toMatchObject({ details: [{ field: 'samples' }] });
  });
});
