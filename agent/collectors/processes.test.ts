import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostContext } from './context.js';
import { COMMON_KERNEL_UNITS } from './kernel-units.js';
import { createProcessCollector, fullProcessName, parseProcPidStat, programFromCmdline } from './processes.js';
import { fixture, fixtureContext } from './test-fixtures.js';

const statFixture = (tree: string, pid: number) => readFileSync(fixture(tree, String(pid), 'stat'), 'utf8');

describe('parseProcPidStat', () => {
  it('reads CPU ticks (utime + stime), start time and resident pages', () => {
    expect(parseProcPidStat(statFixture('proc', 905))).toEqual({
      comm: 'prometheus-node',
      state: 'S',
      cpuTicks: 8120 + 3310,
      startTicks: 1611,
      rssPages: 6410,
    });
  });

  it('ends comm at the last parenthesis', () => {
    expect(parseProcPidStat(statFixture('proc', 1337))).toMatchObject({ comm: 'a) Z (b', state: 'S', startTicks: 9021000 });
    expect(parseProcPidStat(statFixture('proc', 1402))).toMatchObject({ comm: 'Web Content) x', state: 'R', cpuTicks: 182340 + 20110 });
    expect(parseProcPidStat(statFixture('proc', 2210))).toMatchObject({ comm: 'postgres', state: 'Z', rssPages: 0 });
  });

  it('rejects a line without comm, or cut short before the numbers', () => {
    expect(parseProcPidStat('')).toBeNull();
    expect(parseProcPidStat('2210 (postgres) Z 1 2210')).toBeNull();
  });
});

describe('programFromCmdline', () => {
  it('is the basename of argv[0]', () => {
    expect(programFromCmdline('/usr/bin/prometheus-node-exporter\0--collector.systemd\0')).toBe('prometheus-node-exporter');
    expect(programFromCmdline('')).toBe('');
  });
});

describe('fullProcessName', () => {
  it("completes a comm the kernel cut to 15 bytes from argv[0], as psutil's name() does", () => {
    expect(fullProcessName('prometheus-node', () => 'prometheus-node-exporter')).toBe('prometheus-node-exporter');
    // A kernel thread has no argv; a renamed program's argv[0] is something else.
    expect(fullProcessName('kworker/u16:2-events_unbound', () => '')).toBe('kworker/u16:2-events_unbound');
    expect(fullProcessName('Isolated Web Co', () => 'firefox')).toBe('Isolated Web Co');
  });

  it('reads argv[0] only for a name that may have been cut', () => {
    expect(fullProcessName('sshd', () => expect.unreachable('read argv[0]'))).toBe('sshd');
  });
});

describe('createProcessCollector', () => {
  it('counts zombies and finds critical processes by comm or by argv[0]', async () => {
    const scan = await createProcessCollector(fixtureContext('proc'), [
      'sshd',
      'prometheus-node-exporter',
      'postgres',
      'nginx',
      'Web Content) x',
      'init',
      'firefox',
    ]).collect();
    // postgres and sh; "a) Z (b" is sleeping, not a zombie.
    expect(scan.zombie_processes).toBe(2);
    expect(scan.critical_processes).toEqual({
      sshd: true,
      // comm is cut to "prometheus-node"; cmdline has the full name.
      'prometheus-node-exporter': true,
      // Only a zombie postgres is left: it is not running.
      postgres: false,
      nginx: false,
      'Web Content) x': true,
      init: true,
      firefox: true,
    });
  });

  it('works with no critical processes to look for', async () => {
    const scan = await createProcessCollector(fixtureContext('proc'), []).collect();
    expect(scan).toMatchObject({ zombie_processes: 2, critical_processes: {} });
  });

  // 10 s pass between the fixture trees (1000 ticks of one CPU at 100 per second).
  it('reports the busiest processes over the interval since the reading at creation', async () => {
    const ctx = fixtureContext('proc');
    let now = 50_000;
    const collector = createProcessCollector(ctx, [], { nowMs: () => now, units: COMMON_KERNEL_UNITS });
    ctx.procRoot = fixture('proc-later');
    now += 10_000;
    const scan = await collector.collect();
    expect(scan.zombie_processes).toBe(1);
    // memory: resident pages × 4096 of MemTotal (16303424 kB).
    expect(scan.processes).toEqual([
      // 1530 ticks in 10 s: one and a half cores.
      { pid: 1340, name: 'firefox', cpu: 153, memory: 16, status: 'sleeping' },
      { pid: 1402, name: 'Web Content) x', cpu: 84.2, memory: 10.3, status: 'sleeping' },
      { pid: 2290, name: 'node', cpu: 12, memory: 1.2, status: 'disk-sleep' },
      { pid: 2600, name: 'java', cpu: 4, memory: 25.8, status: 'sleeping' },
      { pid: 905, name: 'prometheus-node-exporter', cpu: 3.5, memory: 0.2, status: 'sleeping' },
      { pid: 1, name: 'systemd', cpu: 0.2, memory: 0.1, status: 'sleeping' },
      { pid: 1520, name: 'kworker/u16:2-events_unbound', cpu: 0.1, memory: 0, status: 'idle' },
      { pid: 812, name: 'sshd', cpu: 0, memory: 0.1, status: 'sleeping' },
      { pid: 2, name: 'kthreadd', cpu: 0, memory: 0, status: 'sleeping' },
      // pid 1337 now belongs to a shell that started during the interval: no interval of its own yet.
      { pid: 1337, name: 'bash', cpu: null, memory: 0, status: 'sleeping' },
      // gzip (pid 4100) is new too, and too small to be among the top 5 by memory.
    ]);

    // The next interval starts at this collect.
    now += 5_000;
    const again = await collector.collect();
    expect(again.processes.find((p) => p.pid === 1340)?.cpu).toBe(0);
    expect(again.processes.find((p) => p.pid === 1337)?.cpu).toBe(0);
  });

  it('reports no CPU shares on the first sample when the reading at creation failed', async () => {
    const ctx = fixtureContext('no-such-proc');
    const collector = createProcessCollector(ctx, [], { nowMs: () => 0, units: COMMON_KERNEL_UNITS });
    ctx.procRoot = fixture('proc');
    const scan = await collector.collect();
    expect(scan.processes.map((p) => p.cpu)).toEqual(scan.processes.map(() => null));
    // Ordered by memory then: java (4 GiB) first.
    expect(scan.processes[0]).toEqual({ pid: 2600, name: 'java', cpu: null, memory: 25.8, status: 'sleeping' });
  });

  it('counts resident memory in the kernel page size', async () => {
    const scan = await createProcessCollector(fixtureContext('proc'), [], { units: { pageSizeBytes: 16384, ticksPerSecond: 100 } }).collect();
    // 412160 pages: 10.1 % of MemTotal in 4 KiB pages, four times that in 16 KiB ones.
    expect(scan.processes.find((p) => p.pid === 1402)?.memory).toBe(40.4);
  });

  it('fails when the proc root does not exist', async () => {
    await expect(createProcessCollector(fixtureContext('no-such-proc'), ['sshd']).collect()).rejects.toThrow(/ENOENT/);
  });

  it('scans the real /proc: this test runner is a running node', async () => {
    const scan = await createProcessCollector(hostContext, ['node', 'no-such-program-here']).collect();
    expect(scan.critical_processes).toEqual({ node: true, 'no-such-program-here': false });
    expect(scan.processes.length).toBeGreaterThan(0);
    expect(scan.processes.length).toBeLessThanOrEqual(15);
    expect(scan.processes.every((p) => p.memory !== null && p.memory >= 0 && p.memory <= 100)).toBe(true);
  });
});
