// fleetmon-sim as a user runs it: the real process against the real backend process (both from
// dist/, built by `npm test`'s pretest step), against nothing, stopped by a signal, misused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanUpAfterEach, queryDb, repoRoot, request, spawnBackend, tempDir } from '../../../backend/test/helpers.js';
import { freePort, spawnAgent, waitFor } from '../../test/processes.js';
import type { SimReport } from '../report.js';

const simCli = join(repoRoot, 'dist/agent/sim/cli.js');
const spawnSim = (args: string[]) => spawnAgent(args, { script: simCli });

/** The run: exit code, the JSON line (the last of stdout), and everything printed. */
async function runSim(args: string[]) {
  const sim = spawnSim(args);
  let stdout = '';
  sim.child.stdout?.on('data', (d) => (stdout += String(d)));
  const code = await sim.exited;
  const lastLine = stdout.trim().split('\n').at(-1) ?? '';
  return { code, stdout, output: sim.output(), report: lastLine.startsWith('{') ? (JSON.parse(lastLine) as SimReport) : undefined };
}

const t = cleanUpAfterEach();

describe('fleetmon-sim', () => {
  it('runs 50 agents against a real backend: all accepted, devices listed, alerts fired and recovered', async () => {
    t.dir = tempDir();
    const dbPath = join(t.dir.path, 'monitor.sqlite');
    const acknowledgedFile = join(t.dir.path, 'acknowledged.csv');
    t.backend = await spawnBackend(['--db', dbPath]);
    const { code, stdout, output, report } = await runSim([
      '--server', t.backend.url, '--agents', '50', '--interval', '1s', '--duration', '6s', '--faults', '0.3', '--seed', '7', '--progress', '2s',
      '--acknowledged', acknowledgedFile,
    ]);
    expect(code, output).toBe(0);
    expect(report).toBeDefined();
    expect(report!.sent).toBeGreaterThanOrEqual(250);
    expect(report).toMatchObject({ agents: 50, interval_s: 1, accepted: report!.sent, failed: 0, failures: {} });
    expect(report!.duration_s).toBeGreaterThanOrEqual(5.5);
    expect(report!.latency_ms.p50).toBeGreaterThan(0);
    expect(report!.latency_ms.max).toBeGreaterThanOrEqual(report!.latency_ms.p99);
    expect(report!.faults_started).toBeGreaterThan(0);
    expect(stdout).toMatch(/^fleetmon-sim: 50 agents every 1 s for 6\.\d s against http/);
    // Progress goes to stderr, every 2 s here.
    expect(output).toMatch(/\[fleetmon-sim\] 2 s: sent \d+, accepted \d+, failed 0/);

    const devices = await request<Array<{ id: string; status: string; host: { os: string } }>>(`${t.backend.url}/devices`);
    expect(devices.body).toHaveLength(50);
    expect(devices.body.map((d) => d.id)).toContain('sim-0050');
    expect(devices.body.every((d) => d.status === 'online' && d.host.os.length > 0)).toBe(true);
    const [stored] = queryDb<{ n: number }>(dbPath, 'select count(*) as n from samples');
    expect(stored!.n).toBe(report!.accepted);
    // --acknowledged names each accepted sample: exactly the rows stored.
    const acknowledged = readFileSync(acknowledgedFile, 'utf8').trim().split('\n').sort();
    expect(acknowledged).toHaveLength(report!.accepted);
    expect(acknowledged).toEqual(queryDb<{ key: string }>(dbPath, "select device_id || ',' || sample_id as key from samples").map((r) => r.key).sort());
    const kinds = queryDb<{ kind: string; n: number }>(dbPath, 'select kind, count(*) as n from alerts group by kind order by kind');
    expect(kinds.map((k) => k.kind)).toEqual(['fired', 'recovered']);
  });

  it('reports the failures and exits 1 when nothing listens at --server', async () => {
    const port = await freePort();
    const { code, report, stdout } = await runSim(['--server', `http://127.0.0.1:${port}`, '--agents', '5', '--interval', '0.5s', '--duration', '1.2s']);
    expect(code).toBe(1);
    expect(report!.sent).toBeGreaterThanOrEqual(10);
    expect(report).toMatchObject({ accepted: 0, failed: report!.sent, failures: { ECONNREFUSED: report!.sent } });
    expect(stdout).toMatch(/ECONNREFUSED: \d+/);
  });

  it('runs until SIGINT without --duration, then prints its report and exits 0', async () => {
    t.dir = tempDir();
    t.backend = await spawnBackend(['--db', join(t.dir.path, 'monitor.sqlite')]);
    const sim = spawnSim(['--server', t.backend.url, '--agents', '10', '--interval', '0.2s', '--progress', '0']);
    let stdout = '';
    sim.child.stdout?.on('data', (d) => (stdout += String(d)));
    await waitFor('samples to arrive', () => {
      const health = queryDb<{ n: number }>(join(t.dir!.path, 'monitor.sqlite'), 'select count(*) as n from samples')[0];
      return (health?.n ?? 0) >= 20;
    });
    expect(await sim.stop('SIGINT')).toBe(0);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as SimReport;
    expect(report.sent).toBeGreaterThanOrEqual(20);
    expect(report).toMatchObject({ agents: 10, accepted: report.sent, failed: 0 });
    expect(sim.output()).toContain('SIGINT: stopping');
  });

  it('refuses bad options with a message naming the option, exit 1', async () => {
    const agents = await runSim(['--server', 'http://127.0.0.1:8000', '--agents', 'many']);
    expect(agents.code).toBe(1);
    expect(agents.output).toContain("--agents must be a whole number from 1 to 1000000, e.g. --agents 100; got 'many'");
    const interval = await runSim(['--server', 'http://127.0.0.1:8000', '--agents', '10', '--interval', 'often']);
    expect(interval.code).toBe(1);
    expect(interval.output).toContain("--interval must be a duration such as 10s, 2m, 500ms or a number of seconds, got 'often'");
    const server = await runSim(['--agents', '10']);
    expect(server.code).toBe(1);
    expect(server.output).toContain('--server is required');
    expect(server.report).toBeUndefined();
  });
});
