// What an ingest run costs the processes serving it: CPU per request from /proc (the backends', and
// PostgreSQL's when it is the database), and how many samples each group commit carried.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { type LoadResult, postLoad } from './post-load.js';
import type { Server } from './processes.js';
import { round } from './report.js';

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Fields of /proc/<pid>/stat after the command name (which is in parentheses and may hold spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone meanwhile
  }
}

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / clockTicks : 0;
}

/**
 * CPU seconds of a PostgreSQL server: the postmaster, the children it has reaped (their time is in
 * its cutime/cstime) and the children still running (each connection is one).
 */
export function postgresCpuSeconds(postmasterPid: number): number {
  const own = statFields(postmasterPid);
  let ticks = own ? Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]) : 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === postmasterPid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / clockTicks;
}

export interface Measured extends LoadResult {
  /** Microseconds of the serving processes' CPU (all backends together) per request answered. */
  cpuUsPerRequest: number;
  /** Microseconds of the database server's CPU per request (PostgreSQL; 0 for SQLite, which runs inside the backend). */
  databaseCpuUsPerRequest: number;
  /** Microseconds of this process's CPU (autocannon) per request: it competes for the same cores. */
  loadGeneratorCpuUsPerRequest: number;
  /** CPU used by all of the above over the run, in % of every core of the machine for that time. */
  machineBusyPercent: number;
}

/** POST /metrics load spread over `servers` (one database behind them), with the CPU it cost. */
export async function measureIngest(
  servers: readonly Server[],
  bodies: readonly string[],
  options: { connections: number; duration: number; databasePid?: number },
): Promise<Measured> {
  const serversCpu = () => servers.reduce((sum, s) => sum + cpuSeconds(s.child.pid!), 0);
  const databaseCpu = () => (options.databasePid === undefined ? 0 : postgresCpuSeconds(options.databasePid));
  const loadGeneratorCpu = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  };
  const before = [serversCpu(), databaseCpu(), loadGeneratorCpu()] as const;
  const started = performance.now();
  const result = await postLoad(
    servers.map((s) => s.url),
    bodies,
    options,
  );
  const seconds = (performance.now() - started) / 1000;
  const used = [serversCpu() - before[0], databaseCpu() - before[1], loadGeneratorCpu() - before[2]] as const;
  const perRequest = (cpu: number) => round((cpu * 1e6) / Math.max(1, result.sent), 0);
  return {
    ...result,
    cpuUsPerRequest: perRequest(used[0]),
    databaseCpuUsPerRequest: perRequest(used[1]),
    loadGeneratorCpuUsPerRequest: perRequest(used[2]),
    machineBusyPercent: round((100 * (used[0] + used[1] + used[2])) / (seconds * cpus().length), 0),
  };
}

export interface BatchSizes {
  batches: number;
  samples: number;
  /** Batches per upper bound of size (`<=16`). */
  buckets: Record<string, number>;
}

/** The group-commit batch sizes as /prometheus/self counts them. */
export async function batchSizes(server: Server): Promise<BatchSizes> {
  const text = await (await fetch(`${server.url}/prometheus/self`)).text();
  const buckets: Record<string, number> = {};
  let previous = 0;
  for (const match of text.matchAll(/^fleetmon_ingest_batch_size_bucket\{le="([^"]+)"\} (\d+)$/gm)) {
    const count = Number(match[2]);
    buckets[`<=${match[1]}`] = count - previous;
    previous = count;
  }
  const count = Number(/^fleetmon_ingest_batch_size_count (\d+)$/m.exec(text)?.[1] ?? 0);
  const sum = Number(/^fleetmon_ingest_batch_size_sum (\S+)$/m.exec(text)?.[1] ?? 0);
  return { batches: count, samples: sum, buckets };
}

/** What was counted after `earlier` was read. */
export function batchSizesSince(now: BatchSizes, earlier: BatchSizes): BatchSizes {
  const buckets: Record<string, number> = {};
  for (const [le, n] of Object.entries(now.buckets)) buckets[le] = n - (earlier.buckets[le] ?? 0);
  return { batches: now.batches - earlier.batches, samples: now.samples - earlier.samples, buckets };
}

/** `avg 8.6; <=4: 3% <=16: 96% ...` */
export const describeBatchSizes = (b: BatchSizes): string =>
  `avg ${round(b.samples / Math.max(1, b.batches), 1)}; ` +
  Object.entries(b.buckets)
    .filter(([, n]) => n > 0)
    .map(([le, n]) => `${le}: ${Math.round((100 * n) / Math.max(1, b.batches))}%`)
    .join(' ');
