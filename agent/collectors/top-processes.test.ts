import { describe, expect, it } from 'vitest';
import {
  type ProcessReading,
  type TopProcess,
  cpuPercentSince,
  cpuTicksReading,
  processStatus,
  selectTopProcesses,
  topProcessOf,
} from './top-processes.js';

const reading = (pid: number, cpuTicks: number, startTicks = 1000, rssPages = 0): ProcessReading => ({
  pid,
  comm: `p${pid}`,
  state: 'S',
  cpuTicks,
  startTicks,
  rssPages,
});

describe('processStatus', () => {
  it("uses psutil's words for the kernel's state letters", () => {
    expect(['R', 'S', 'D', 'T', 't', 'Z', 'I', 'P'].map(processStatus)).toEqual([
      'running', 'sleeping', 'disk-sleep', 'stopped', 'tracing-stop', 'zombie', 'idle', 'parked',
    ]);
  });

  it('passes on a letter it does not know', () => {
    expect(processStatus('Q')).toBe('Q');
  });
});

describe('cpuPercentSince', () => {
  const before = cpuTicksReading([reading(10, 500), reading(11, 80)], 0);

  it('is CPU time over elapsed time, above 100 for a process on several cores', () => {
    // 250 ticks of 100 per second in 2 s: 1.25 CPUs.
    expect(cpuPercentSince(before, reading(10, 750), 2000, 100)).toBe(125);
    expect(cpuPercentSince(before, reading(11, 81), 2000, 100)).toBe(0.5);
  });

  it('is not measured for a process the previous reading did not see, or without a previous reading', () => {
    expect(cpuPercentSince(before, reading(12, 3), 2000, 100)).toBeNull();
    expect(cpuPercentSince(undefined, reading(10, 750), 2000, 100)).toBeNull();
  });

  it('tells a new process from an old one that had the same pid', () => {
    expect(cpuPercentSince(before, reading(10, 600, 99_000), 2000, 100)).toBeNull();
  });

  it('is not measured over an interval of no length', () => {
    expect(cpuPercentSince(before, reading(10, 500), 0, 100)).toBeNull();
  });
});

describe('topProcessOf', () => {
  it('reports resident memory as a share of MemTotal, or not at all without MemTotal', () => {
    const java = reading(2600, 0, 1, 262144); // 1 GiB in 4 KiB pages
    expect(topProcessOf(java, 4, { pageSizeBytes: 4096, memTotalBytes: 8 * 2 ** 30 })).toEqual({
      pid: 2600, name: 'p2600', cpu: 4, memory: 12.5, status: 'sleeping',
    });
    expect(topProcessOf(java, 4, { pageSizeBytes: 4096, memTotalBytes: null }).memory).toBeNull();
  });
});

describe('selectTopProcesses', () => {
  const entry = (pid: number, cpu: number | null, memory: number | null): TopProcess => ({ pid, name: `p${pid}`, cpu, memory, status: 'sleeping' });

  it('keeps the top 10 by CPU and the top 5 by memory, each once, busiest CPU first', () => {
    // 20 processes: pid 1..20 use 20..1 % CPU and pid 1..20 hold 1..20 % memory.
    const all = Array.from({ length: 20 }, (_, i) => entry(i + 1, 20 - i, i + 1));
    const top = selectTopProcesses(all);
    expect(top.map((p) => p.pid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 17, 18, 19, 20]);
  });

  it('lists fewer when the busiest by CPU are also the largest', () => {
    const all = Array.from({ length: 20 }, (_, i) => entry(i + 1, 20 - i, 20 - i));
    expect(selectTopProcesses(all)).toHaveLength(10);
  });

  it('ranks unmeasured CPU last, and breaks ties by memory, then pid', () => {
    const top = selectTopProcesses([entry(7, null, 30), entry(3, 0, 1), entry(4, 0, 2), entry(2, 0, 2), entry(9, 5, 0)], { byCpu: 3, byMemory: 1 });
    expect(top.map((p) => p.pid)).toEqual([9, 2, 4, 7]);
  });
});
