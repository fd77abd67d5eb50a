// The real agent process against the real backend process: samples arrive, and none is lost
// while the backend is away or the agent restarts.
import { cpSync, existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { fixture } from '../collectors/test-fixtures.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { metricsPayloadSchema } from '../../shared/payload.js';
import { type BackendProcess, queryDb, request, spawnBackend, tempDir } from '../../backend/test/helpers.js';
import { type AgentProcess, freePort, spawnAgent, waitFor } from './processes.js';

const INTERVAL = 0.5;

let dir: ReturnType<typeof tempDir>;
let backend: BackendProcess | undefined;
let agents: AgentProcess[] = [];

afterEach(async () => {
  for (const a of agents) await a.stop('SIGKILL');
  agents = [];
  if (backend?.child.exitCode === null) await backend.stop('SIGKILL');
  backend = undefined;
  await dir.remove();
});

interface SampleRow {
  sample_id: string;
  timestamp: number;
  received_at: number;
}

function agentArgs(server: string, spoolDir: string, extra: string[] = []): string[] {
  return ['--server', server, '--interval', `${INTERVAL}s`, '--retry-max', '1s', '--agent-id', 'test-host', '--spool-dir', spoolDir, ...extra];
}

const samples = (db: string) =>
  existsSync(db) ? queryDb<SampleRow>(db, "select sample_id, timestamp, received_at from samples where device_id = 'test-host' order by id") : [];

const spooled = (spoolDir: string) => (existsSync(spoolDir) ? readdirSync(spoolDir).filter((f) => f.endsWith('.json')) : []);

/** Sample times must follow each other at about the interval: no gap, no repeat, in order. */
function expectContinuous(rows: SampleRow[]) {
  const times = rows.map((r) => r.timestamp);
  expect([...times].sort((a, b) => a - b)).toEqual(times);
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThan(INTERVAL * 2.5);
  expect(new Set(rows.map((r) => r.sample_id)).size).toBe(rows.length);
}

describe('fleetmon-agent with fleetmon-backend', () => {
  it('reports this machine, with every field of the payload, until stopped', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    backend = await spawnBackend(['--db', db]);
    const agent = spawnAgent(agentArgs(backend.url, join(dir.path, 'spool'), ['--critical-process', 'node', '--critical-process', 'no-such-daemon']));
    agents.push(agent);
    await waitFor('3 samples', () => samples(db).length >= 3);

    const latest = (await request<Record<string, unknown>[]>(`${backend.url}/metrics`)).body.find((m) => m.agent_id === 'test-host');
    const parsed = metricsPayloadSchema.parse(latest);
    expect(Object.keys(parsed)).toEqual(
      expect.arrayContaining(['cpu', 'memory', 'disks', 'sensors_temperature', 'time_drift', 'network', 'custom_alert', 'zombie_processes', 'critical_processes']),
    );
    expect(parsed.critical_processes).toEqual({ node: true, 'no-such-daemon': false });
    expect(parsed.disks?.some((d) => d.mountpoint === '/')).toBe(true);
    // Drift against the backend's clock on the same machine: well under a second.
    expect(Math.abs(parsed.time_drift!.drift_seconds!)).toBeLessThan(0.5);
    const alerts = (await request<{ alert: string }[]>(`${backend.url}/alerts`)).body.map((a) => a.alert);
    expect(alerts).toContain('Critical process no-such-daemon is not running');

    expect(await agent.stop('SIGTERM')).toBe(0);
  });

  it('keeps every sample while the backend is down and delivers them once, in order, at their measured times', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    const spoolDir = join(dir.path, 'spool');
    const port = await freePort();
    backend = await spawnBackend(['--db', db, '--port', String(port)]);
    const agent = spawnAgent(agentArgs(backend.url, spoolDir));
    agents.push(agent);
    await waitFor('first samples', () => samples(db).length >= 2);

    expect(await backend.stop('SIGTERM')).toBe(0);
    const downAt = Date.now() / 1000;
    await waitFor('6 samples spooled during the outage', () => spooled(spoolDir).length >= 6);
    const upAt = Date.now() / 1000;
    backend = await spawnBackend(['--db', db, '--port', String(port)]);
    await waitFor('the spool to drain', () => spooled(spoolDir).length === 0 && samples(db).some((s) => s.received_at > upAt + 1));
    expect(await agent.stop('SIGTERM')).toBe(0);

    const rows = samples(db);
    expectContinuous(rows);
    const measuredWhileDown = rows.filter((r) => r.timestamp > downAt && r.timestamp < upAt);
    expect(measuredWhileDown.length).toBeGreaterThanOrEqual(5);
    // They arrived after the backend came back, yet are stored at the time they were measured.
    expect(measuredWhileDown.every((r) => r.received_at >= upAt)).toBe(true);
    expect(agent.output()).toMatch(/backend unavailable/);
    expect(agent.output()).toMatch(/backend reachable again/);
  });

  it('leaves its spool on disk when stopped with SIGTERM, and sends it after a restart', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    const spoolDir = join(dir.path, 'spool');
    const port = await freePort();
    const server = `http://127.0.0.1:${port}`;

    const first = spawnAgent(agentArgs(server, spoolDir));
    agents.push(first);
    await waitFor('4 samples spooled with no backend', () => spooled(spoolDir).length >= 4);
    expect(await first.stop('SIGTERM')).toBe(0);
    const left = spooled(spoolDir);
    expect(left.length).toBeGreaterThanOrEqual(4);
    expect(first.output()).toMatch(/sample\(s\) left in the spool/);

    backend = await spawnBackend(['--db', db, '--port', String(port)]);
    const second = spawnAgent(agentArgs(server, spoolDir));
    agents.push(second);
    await waitFor('the earlier run\'s samples', () => spooled(spoolDir).length === 0 && samples(db).length >= left.length + 1);
    expect(await second.stop('SIGTERM')).toBe(0);
    expect(second.output()).toMatch(/from an earlier run/);

    const rows = samples(db);
    const ids = new Set(rows.map((r) => r.sample_id));
    for (const file of left) expect(ids.has(file.replace(/^\d+-/, '').replace(/\.json$/, ''))).toBe(true);
    expect([...rows].map((r) => r.timestamp)).toEqual([...rows].map((r) => r.timestamp).sort((a, b) => a - b));
  });
});

describe('a collector that fails between two samples', () => {
  it('leaves its problem open: no recovery, and no second alert when it reads again', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    // A copy of a fixture /proc, on a machine whose memory is 95 % used.
    const proc = join(dir.path, 'proc');
    cpSync(fixture('proc'), proc, { recursive: true });
    const meminfo = join(proc, 'meminfo');
    writeFileSync(meminfo, 'MemTotal:       1000000 kB\nMemFree:          20000 kB\nMemAvailable:     50000 kB\nSwapTotal:            0 kB\nSwapFree:             0 kB\n');
    backend = await spawnBackend(['--db', db]);
    agents.push(spawnAgent(agentArgs(backend.url, join(dir.path, 'spool'), ['--proc-root', proc, '--sys-root', fixture('sys-laptop')])));
    const memoryOf = () =>
      existsSync(db) ? queryDb<{ memory: number | null }>(db, "select json_extract(payload, '$.memory.percent') as memory from samples where device_id = 'test-host' order by id").map((r) => r.memory) : [];
    await waitFor('two samples with memory at 95 %', () => memoryOf().filter((m) => m === 95).length >= 2);

    // meminfo unreadable: the memory collector fails, and the samples go on without `memory`.
    renameSync(meminfo, `${meminfo}.away`);
    const before = memoryOf().length;
    await waitFor('two samples without memory', () => memoryOf().slice(before).filter((m) => m === null).length >= 2);
    renameSync(`${meminfo}.away`, meminfo);
    const during = memoryOf().length;
    await waitFor('two more samples at 95 %', () => memoryOf().slice(during).filter((m) => m === 95).length >= 2);

    const memoryAlerts = queryDb<{ alert: string }>(db, "select alert from alerts where device_id = 'test-host' and rule = 'memory_high' order by id");
    expect(memoryAlerts.map((a) => a.alert)).toEqual(['High Memory usage']);
  });
});
