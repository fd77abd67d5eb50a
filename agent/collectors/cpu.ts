// CPU usage from /proc/stat, as a percentage over the interval between two readings, and the
// load average from /proc/loadavg.
import { readFileSync } from 'node:fs';
import { type CollectorContext, procPath } from './context.js';
import { percentOf } from './percent.js';

/** Cumulative jiffies of one `cpu` line: everything, and the part spent not working. */
export interface CpuTimes {
  total: number;
  /** idle + iowait: waiting on disk is not busy, as top and psutil count it. */
  idle: number;
}

export interface ProcStatSnapshot {
  all: CpuTimes;
  /** Keyed by core number, because offline cores vanish from /proc/stat and leave gaps. */
  cores: Map<number, CpuTimes>;
}

export type CpuMetrics = {
  total_percent: number;
  per_core_percent: number[];
  load_average: [number, number, number];
};

// Columns of a cpu line: user nice system idle iowait irq softirq steal guest guest_nice.
// guest and guest_nice are already counted inside user and nice, so only the first eight add up
// to the total; old kernels print fewer columns, which count as 0.
const SUMMED_COLUMNS = 8;
const IDLE = 3;
const IOWAIT = 4;

function cpuTimesFromColumns(columns: number[]): CpuTimes {
  const summed = columns.slice(0, SUMMED_COLUMNS);
  return {
    total: summed.reduce((sum, value) => sum + value, 0),
    idle: (columns[IDLE] ?? 0) + (columns[IOWAIT] ?? 0),
  };
}

export function parseProcStat(text: string): ProcStatSnapshot {
  let all: CpuTimes | undefined;
  const cores = new Map<number, CpuTimes>();
  for (const line of text.split('\n')) {
    const match = /^cpu(\d*)\s+(.*)$/.exec(line);
    if (!match) continue;
    const columns = (match[2] ?? '').trim().split(/\s+/).map(Number);
    if (columns.some((value) => !Number.isFinite(value))) throw new Error(`unreadable /proc/stat line: ${line}`);
    const times = cpuTimesFromColumns(columns);
    if (match[1] === '') all = times;
    else cores.set(Number(match[1]), times);
  }
  if (!all) throw new Error('/proc/stat has no aggregate "cpu" line');
  return { all, cores };
}

/** Busy share of the time between two readings of the same CPU. */
export function cpuPercentBetween(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  const idle = after.idle - before.idle;
  return percentOf(total - idle, total);
}

export function parseLoadAverage(text: string): [number, number, number] {
  const [one, five, fifteen] = text.trim().split(/\s+/).map(Number);
  if (![one, five, fifteen].every((value) => value !== undefined && Number.isFinite(value) && value >= 0)) {
    throw new Error(`unreadable /proc/loadavg: ${text.trim()}`);
  }
  return [one ?? 0, five ?? 0, fifteen ?? 0];
}

export function cpuMetricsBetween(before: ProcStatSnapshot, after: ProcStatSnapshot, load: [number, number, number]): CpuMetrics {
  const coreNumbers = [...after.cores.keys()].sort((a, b) => a - b);
  return {
    total_percent: cpuPercentBetween(before.all, after.all),
    // A core that came online since the last reading has no interval yet: 0, like a new interface.
    per_core_percent: coreNumbers.map((core) => {
      const previous = before.cores.get(core);
      const current = after.cores.get(core);
      return previous && current ? cpuPercentBetween(previous, current) : 0;
    }),
    load_average: load,
  };
}

// procfs reads are synchronous: they never block, and cost far less CPU than fs/promises ones.
async function readProcStat(ctx: CollectorContext): Promise<ProcStatSnapshot> {
  return parseProcStat(readFileSync(procPath(ctx, 'stat'), 'utf8'));
}

const ZERO: CpuTimes = { total: 0, idle: 0 };
const bootSnapshotLike = (snapshot: ProcStatSnapshot): ProcStatSnapshot => ({
  all: ZERO,
  cores: new Map([...snapshot.cores.keys()].map((core) => [core, ZERO])),
});

export interface CpuCollector {
  collect(): Promise<CpuMetrics>;
}

/** Each collect reports usage since the previous one (the first, since creation). */
export function createCpuCollector(ctx: CollectorContext): CpuCollector {
  // If the reading at creation fails, the first interval starts at boot: an average, but not wrong.
  let previous: Promise<ProcStatSnapshot | undefined> = readProcStat(ctx).catch(() => undefined);
  return {
    async collect() {
      const current = await readProcStat(ctx);
      const loadText = readFileSync(procPath(ctx, 'loadavg'), 'utf8');
      const before = (await previous) ?? bootSnapshotLike(current);
      previous = Promise.resolve(current);
      return cpuMetricsBetween(before, current, parseLoadAverage(loadText));
    },
  };
}
