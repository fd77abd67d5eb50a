// The busiest processes, in the original's shape ({ pid, name, cpu, memory, status }, as psutil
// reports them): pure functions over two readings of /proc/<pid>/stat, so tests need no clock.
import { percentOf, roundToTenth } from './percent.js';

/** One live process as the scan of /proc saw it. */
export interface ProcessReading {
  pid: number;
  comm: string;
  state: string;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time in clock ticks after boot; with the pid, it tells a process from a later one given the same pid. */
  startTicks: number;
  rssPages: number;
}

/** CPU ticks of every process at one moment, to measure the next interval against. */
export interface CpuTicksReading {
  atMs: number;
  ticks: Map<string, number>;
}

export type TopProcess = {
  pid: number;
  name: string;
  /** Percent of one CPU over the interval, as psutil's cpu_percent: above 100 for a process using several cores. */
  cpu: number | null;
  memory: number | null;
  status: string;
};

export interface TopProcessLimits {
  byCpu: number;
  byMemory: number;
}

export const TOP_PROCESS_LIMITS: TopProcessLimits = { byCpu: 10, byMemory: 5 };

const processKey = (process: Pick<ProcessReading, 'pid' | 'startTicks'>): string => `${process.pid}:${process.startTicks}`;

export function cpuTicksReading(processes: ProcessReading[], atMs: number): CpuTicksReading {
  return { atMs, ticks: new Map(processes.map((process) => [processKey(process), process.cpuTicks])) };
}

// psutil's words for the kernel's state letters (psutil/_pslinux.py, PROC_STATUSES).
const STATUS_WORDS: Record<string, string> = {
  R: 'running',
  S: 'sleeping',
  D: 'disk-sleep',
  T: 'stopped',
  t: 'tracing-stop',
  Z: 'zombie',
  X: 'dead',
  x: 'dead',
  K: 'wake-kill',
  W: 'waking',
  I: 'idle',
  P: 'parked',
};

/** A letter newer than this table is passed on as the kernel wrote it. */
export const processStatus = (state: string): string => STATUS_WORDS[state] ?? state;

/**
 * CPU use since the previous reading, or null when there is none for this process: its lifetime
 * average would pass an old burst off as current load.
 */
export function cpuPercentSince(
  previous: CpuTicksReading | undefined,
  process: ProcessReading,
  atMs: number,
  ticksPerSecond: number,
): number | null {
  const before = previous?.ticks.get(processKey(process));
  if (previous === undefined || before === undefined || process.cpuTicks < before) return null;
  const elapsedSeconds = (atMs - previous.atMs) / 1000;
  if (!(elapsedSeconds > 0)) return null;
  return roundToTenth(((process.cpuTicks - before) / ticksPerSecond / elapsedSeconds) * 100);
}

export interface MemoryUnits {
  pageSizeBytes: number;
  /** MemTotal; null when /proc/meminfo could not say. */
  memTotalBytes: number | null;
}

/** Named by comm; see fullProcessName for the few that end up in the list. */
export function topProcessOf(process: ProcessReading, cpu: number | null, memory: MemoryUnits): TopProcess {
  return {
    pid: process.pid,
    name: process.comm,
    cpu,
    memory: memory.memTotalBytes === null ? null : percentOf(process.rssPages * memory.pageSizeBytes, memory.memTotalBytes),
    status: processStatus(process.state),
  };
}

// Unmeasured values sort last; ties go to the larger other figure, then the lower pid, so the
// list does not reshuffle between samples of an idle machine.
const descending = (a: number | null, b: number | null): number => (b ?? -1) - (a ?? -1);
const byCpu = (a: TopProcess, b: TopProcess): number => descending(a.cpu, b.cpu) || descending(a.memory, b.memory) || a.pid - b.pid;
const byMemory = (a: TopProcess, b: TopProcess): number => descending(a.memory, b.memory) || descending(a.cpu, b.cpu) || a.pid - b.pid;

/** The top few by CPU and the top few by memory, each once, busiest CPU first. */
export function selectTopProcesses(processes: TopProcess[], limits: TopProcessLimits = TOP_PROCESS_LIMITS): TopProcess[] {
  const chosen = new Set([...processes].sort(byCpu).slice(0, limits.byCpu));
  for (const process of [...processes].sort(byMemory).slice(0, limits.byMemory)) chosen.add(process);
  return [...chosen].sort(byCpu);
}
