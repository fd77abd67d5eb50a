// Agent benchmark: CPU time per collection and resident memory of the real agent sampling this
// machine every second, next to a bare node process that only runs a one-second timer, and the
// same for the single-file agent; all three run side by side in the same minute.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { distRoot, startBackend } from '../../backend/bench/processes.js';
import { argument, printReport, round } from '../../backend/bench/report.js';

const duration = Number(argument('duration', '60'));
const warmup = 5;
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

interface Subject {
  name: string;
  agentId?: string;
  child: ChildProcess;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-bench-agent-'));
  const dbPath = join(dir, 'monitor.sqlite');
  const backend = await startBackend(dbPath);
  const agentArgs = (id: string) => ['--server', backend.url, '--interval', '1s', '--agent-id', id, '--spool-dir', join(dir, id)];
  const subjects: Subject[] = [
    { name: 'bare node timer (baseline)', child: spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }) },
    { name: 'fleetmon-agent (dist)', agentId: 'bench-dist', child: spawn(process.execPath, [join(distRoot, 'agent/cli.js'), ...agentArgs('bench-dist')], { stdio: 'ignore' }) },
    { name: 'fleetmon-agent.cjs (single file)', agentId: 'bench-bundle', child: spawn(process.execPath, [join(distRoot, 'fleetmon-agent.cjs'), ...agentArgs('bench-bundle')], { stdio: 'ignore' }) },
  ];
  try {
    await sleep(warmup);
    const windowStart = Date.now() / 1000;
    const cpuStart = subjects.map((s) => cpuSeconds(s.child.pid!));
    const rss: number[][] = subjects.map(() => []);
    for (let t = 0; t < duration; t++) {
      await sleep(1);
      subjects.forEach((s, i) => rss[i]!.push(rssMiB(s.child.pid!)));
    }
    const cpuUsed = subjects.map((s, i) => cpuSeconds(s.child.pid!) - cpuStart[i]!);
    const windowEnd = Date.now() / 1000;
    const db = new SQLite(dbPath, { readonly: true });
    const collections = subjects.map((s) =>
      s.agentId ? (db.prepare('select count(*) as n from samples where device_id = ? and received_at between ? and ?').get(s.agentId, windowStart, windowEnd) as { n: number }).n : duration,
    );
    db.close();

    const baselineCpu = cpuUsed[0]! / duration;
    const rows: (string | number)[][] = [['process', 'collections', 'CPU ms/s', 'CPU ms per collection', 'above baseline ms', 'RSS avg MiB', 'RSS max MiB']];
    const figures: Record<string, unknown> = {};
    subjects.forEach((s, i) => {
      const perSecond = (cpuUsed[i]! / duration) * 1000;
      const perCollection = (cpuUsed[i]! / collections[i]!) * 1000;
      const above = perSecond - baselineCpu * 1000;
      const avgRss = rss[i]!.reduce((a, b) => a + b, 0) / rss[i]!.length;
      rows.push([s.name, collections[i]!, round(perSecond, 1), round(perCollection, 1), round(above, 1), round(avgRss, 1), round(Math.max(...rss[i]!), 1)]);
      figures[s.agentId ?? 'baseline'] = { collections: collections[i], cpu_ms_per_s: round(perSecond, 2), cpu_ms_per_collection: round(perCollection, 2), rss_avg_mib: round(avgRss, 1), rss_max_mib: round(Math.max(...rss[i]!), 1) };
    });
    printReport('agent', `each sampling this machine every 1 s and sending to a local backend, measured for ${duration} s after ${warmup} s warm-up, CPU from /proc/PID/stat`, rows, { duration_s: duration, ...figures });
  } finally {
    for (const s of subjects) s.child.kill('SIGTERM');
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
