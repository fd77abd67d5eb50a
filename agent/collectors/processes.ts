// One pass over /proc/<pid>/ answering two questions: how many zombies, and which of the
// critical processes are running.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type CollectorContext, procPath } from './context.js';
import { hasErrorCode } from './errors.js';

export type ProcessScan = {
  zombie_processes: number;
  critical_processes: Record<string, boolean>;
};

export interface ProcStatFields {
  comm: string;
  state: string;
}

/**
 * `pid (comm) state ...`: comm is the process's own choice of up to 15 bytes and may hold spaces
 * and `)`, so it ends at the last `)` in the line, not the first.
 */
export function parseProcPidStat(text: string): ProcStatFields | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const state = text.slice(close + 1).trim().split(/\s+/)[0];
  if (!state) return null;
  return { comm: text.slice(open + 1, close), state };
}

/** Basename of argv[0]; programs that rewrite their title (sshd, nginx) leave no NULs, which is fine. */
export function programFromCmdline(cmdline: string): string {
  const argv0 = cmdline.split('\0')[0] ?? '';
  return argv0 === '' ? '' : path.posix.basename(argv0);
}

// Processes exit between readdir and read; procfs then answers ENOENT, or ESRCH for some files.
const isGone = (err: unknown): boolean => hasErrorCode(err, 'ENOENT', 'ESRCH');

/**
 * Reads are synchronous on purpose: procfs answers from kernel memory without blocking, and one
 * sync read costs a tenth of the CPU of an fs/promises one (measured: 66 processes, 20 ms -> 1 ms).
 */
export async function scanProcesses(ctx: CollectorContext, criticalNames: string[]): Promise<ProcessScan> {
  const pids = readdirSync(ctx.procRoot).filter((name) => /^\d+$/.test(name));
  const wanted = new Set(criticalNames);
  const running = new Set<string>();
  let zombies = 0;

  for (const pid of pids) {
    try {
      const stat = parseProcPidStat(readFileSync(procPath(ctx, pid, 'stat'), 'utf8'));
      if (!stat) continue;
      // A zombie has exited; only its parent has not collected it. It runs nothing.
      if (stat.state === 'Z') {
        zombies++;
        continue;
      }
      if (wanted.has(stat.comm)) running.add(stat.comm);
      if (running.size === wanted.size) continue;
      // comm is cut to 15 characters ("prometheus-node"), so longer names need argv[0].
      const program = programFromCmdline(readFileSync(procPath(ctx, pid, 'cmdline'), 'utf8'));
      if (wanted.has(program)) running.add(program);
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }

  return {
    zombie_processes: zombies,
    critical_processes: Object.fromEntries(criticalNames.map((name) => [name, running.has(name)])),
  };
}
