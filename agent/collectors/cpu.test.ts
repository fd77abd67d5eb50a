import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cpuPercentBetween, createCpuCollector, parseLoadAverage, parseProcStat } from './cpu.js';
import { fixture, fixtureContext } from './test-fixtures.js';

const readFixture = (...parts: string[]) => readFile(fixture(...parts), 'utf8');

describe('parseProcStat', () => {
  it('sums the first eight columns and counts idle + iowait as idle', async () => {
    const snapshot = parseProcStat(await readFixture('proc', 'stat'));
    // cpu  482310 1204 120455 9182330 20410 0 8120 0 | guest 3100 0 (already inside user)
    expect(snapshot.all).toEqual({ total: 482310 + 1204 + 120455 + 9182330 + 20410 + 8120, idle: 9182330 + 20410 });
    expect([...snapshot.cores.keys()]).toEqual([0, 1, 2, 3]);
    expect(snapshot.cores.get(0)).toEqual({ total: 120800 + 300 + 30100 + 2295000 + 5100 + 2030, idle: 2295000 + 5100 });
  });

  it('reads the four-column lines of very old kernels', () => {
    const snapshot = parseProcStat('cpu  100 0 50 850\ncpu0 100 0 50 850\n');
    expect(snapshot.all).toEqual({ total: 1000, idle: 850 });
  });

  it('keeps core numbers when a core is offline', () => {
    const snapshot = parseProcStat('cpu  1 0 0 1\ncpu0 1 0 0 1\ncpu2 0 0 0 0\n');
    expect([...snapshot.cores.keys()]).toEqual([0, 2]);
  });

  it('refuses text without the aggregate line', () => {
    expect(() => parseProcStat('intr 1 2 3\n')).toThrow(/no aggregate "cpu" line/);
  });
});

describe('cpuPercentBetween', () => {
  it('is the busy share of the interval, to one decimal', () => {
    expect(cpuPercentBetween({ total: 1000, idle: 500 }, { total: 1300, idle: 700 })).toBe(33.3);
  });

  it('is 0 for a zero-length interval', () => {
    expect(cpuPercentBetween({ total: 1000, idle: 500 }, { total: 1000, idle: 500 })).toBe(0);
  });

  it('stays within 0..100 when iowait runs backwards (a known kernel quirk)', () => {
    expect(cpuPercentBetween({ total: 1000, idle: 500 }, { total: 1100, idle: 450 })).toBe(100);
    expect(cpuPercentBetween({ total: 1000, idle: 500 }, { total: 1100, idle: 700 })).toBe(0);
  });
});

describe('parseLoadAverage', () => {
  it('takes the 1, 5 and 15 minute averages', () => {
    expect(parseLoadAverage('0.52 0.58 0.59 2/1123 45678\n')).toEqual([0.52, 0.58, 0.59]);
  });

  it('refuses garbage', () => {
    expect(() => parseLoadAverage('')).toThrow(/unreadable/);
  });
});

describe('createCpuCollector', () => {
  // The reading at creation starts at once, so moving the context afterwards gives a second reading.
  it('reports usage between the reading at creation and the collect', async () => {
    const ctx = fixtureContext('proc');
    const collector = createCpuCollector(ctx);
    ctx.procRoot = fixture('proc-later');
    // Per core, 100 jiffies each: busy 70, 40, 60, 30 (cpu0's 20 guest jiffies are inside user).
    expect(await collector.collect()).toEqual({
      total_percent: 50,
      per_core_percent: [70, 40, 60, 30],
      load_average: [0.52, 0.58, 0.59],
    });
    // Nothing changed since: a zero-length interval.
    expect((await collector.collect()).total_percent).toBe(0);
  });

  it('falls back to the average since boot when the reading at creation failed', async () => {
    const ctx = fixtureContext('no-such-proc');
    const collector = createCpuCollector(ctx);
    ctx.procRoot = fixture('proc');
    const metrics = await collector.collect();
    // busy / total of the fixture's cpu line: (9814829 − 9202740) / 9814829 = 6.24 %.
    expect(metrics.total_percent).toBe(6.2);
    expect(metrics.per_core_percent).toHaveLength(4);
  });

  it('fails when /proc/stat cannot be read', async () => {
    await expect(createCpuCollector(fixtureContext('no-such-proc')).collect()).rejects.toThrow(/ENOENT/);
  });
});
