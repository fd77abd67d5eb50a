// Speaking Prometheus, checked with the real thing: Debian's `prometheus` scrapes a backend fed by
// fleetmon-sim, with the read token, and its HTTP API must show our series with the right labels
// and values; a device that stops reporting must drop to fleetmon_device_up 0. `promtool check
// metrics` must accept both endpoints. Skipped (saying which package to install) without Prometheus.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, spawnAgent, waitFor } from '../../agent/test/processes.js';
import type { RunningBackend } from '../server.js';
import { addTokenWithCli, repoRoot, request, startTestBackend, tempDir } from './helpers.js';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const havePrometheus = existsSync(PROMETHEUS) && existsSync(PROMTOOL);
if (!havePrometheus) console.warn(`skipping the Prometheus test: ${PROMETHEUS} is missing; install the Debian package: apt-get install -y prometheus`);

const simCli = join(repoRoot, 'dist/agent/sim/cli.js');

interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

const t: { dir?: ReturnType<typeof tempDir>; backend?: RunningBackend; prometheus?: ChildProcess; output?: () => string } = {};
afterEach(async () => {
  t.prometheus?.kill('SIGKILL');
  if (t.prometheus && t.prometheus.exitCode === null && t.prometheus.signalCode === null) await new Promise((r) => t.prometheus!.once('exit', r));
  await t.backend?.close();
  await t.dir?.remove();
  Object.assign(t, { dir: undefined, backend: undefined, prometheus: undefined });
});

describe.skipIf(!havePrometheus)('Prometheus scraping /prometheus', () => {
  it('sees every device with the right labels and values, and device_up 0 once one falls silent', async () => {
    t.dir = tempDir();
    const dbPath = join(t.dir.path, 'monitor.sqlite');
    const clock = { now: Date.now() / 1000 };
    t.backend = await startTestBackend(dbPath, { now: () => clock.now });
    const backend = t.backend;

    // Three simulated machines report for a while (the API is still open: no token exists).
    const sim = spawnAgent(['--server', backend.url, '--agents', '3', '--interval', '500ms', '--duration', '1500ms', '--seed', '7', '--progress', '0'], { script: simCli });
    expect(await sim.exited, sim.output()).toBe(0);

    // Now protect the API: reading needs the read token, which Prometheus presents from a file.
    const readToken = await addTokenWithCli(dbPath, '--role', 'read');
    const adminToken = await addTokenWithCli(dbPath, '--role', 'admin');
    expect((await fetch(`${backend.url}/prometheus`)).status).toBe(401);
    const tokenFile = join(t.dir.path, 'fleetmon.token');
    writeFileSync(tokenFile, `${readToken}\n`);
    const auth = { authorization: `Bearer ${readToken}` };

    // Our output is valid exposition text, as Prometheus' own linter reads it.
    for (const path of ['/prometheus', '/prometheus/self']) {
      const text = await (await fetch(`${backend.url}${path}`, { headers: auth })).text();
      expect(() => execFileSync(PROMTOOL, ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] }), path).not.toThrow();
    }

    const port = await freePort();
    const target = new URL(backend.url).host;
    writeFileSync(
      join(t.dir.path, 'prometheus.yml'),
      [
        'global: {scrape_interval: 1s, evaluation_interval: 1s}',
        'scrape_configs:',
        '  - job_name: fleetmon',
        '    metrics_path: /prometheus',
        `    authorization: {credentials_file: ${tokenFile}}`,
        `    static_configs: [{targets: ['${target}']}]`,
        '  - job_name: fleetmon-self',
        '    metrics_path: /prometheus/self',
        `    authorization: {credentials_file: ${tokenFile}}`,
        `    static_configs: [{targets: ['${target}']}]`,
        '',
      ].join('\n'),
    );
    const child = spawn(
      PROMETHEUS,
      [`--config.file=${join(t.dir.path, 'prometheus.yml')}`, `--storage.tsdb.path=${join(t.dir.path, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (d) => (output += String(d)));
    child.stderr?.on('data', (d) => (output += String(d)));
    t.prometheus = child;

    const query = async (promql: string): Promise<PromSeries[]> => {
      const answer = await request<{ status: string; data: { result: PromSeries[] } }>(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
      if (answer.body.status !== 'success') throw new Error(JSON.stringify(answer.body));
      return answer.body.data.result;
    };
    const queryUntil = (promql: string, done: (r: PromSeries[]) => boolean) =>
      waitFor(`${promql} in Prometheus\n${output.slice(-2000)}`, async () => {
        const result = await query(promql);
        return done(result) ? result : undefined;
      }, 20_000);
    const byDevice = (r: PromSeries[]) => Object.fromEntries(r.map((s) => [s.metric['device'], Number(s.value[1])]));

    const up = await queryUntil('fleetmon_device_up', (r) => r.length === 3);
    expect(byDevice(up)).toEqual({ 'sim-0001': 1, 'sim-0002': 1, 'sim-0003': 1 });
    // Both jobs scraped with the token: Prometheus' own `up` is 1 for each.
    const targets = await queryUntil('up', (r) => r.length === 2);
    expect(targets.map((s) => [s.metric['job'], s.value[1]]).sort()).toEqual([['fleetmon', '1'], ['fleetmon-self', '1']]);

    // Values and labels as the latest sample says.
    const latest = (await request<{ cpu: { total_percent: number }; sensors_temperature: Record<string, { label: string; current: number }[]>; disks: { mountpoint: string; percent: number }[]; network: { name: string; bytes_recv: number }[] }>(`${backend.url}/metrics/sim-0001`, { headers: auth })).body;
    const cpu = await query('fleetmon_cpu_usage_ratio{device="sim-0001"}');
    expect(Number(cpu[0]!.value[1])).toBeCloseTo(latest.cpu.total_percent / 100, 9);
    const [chip, sensors] = Object.entries(latest.sensors_temperature)[0]!;
    const temperature = await query(`fleetmon_temperature_celsius{device="sim-0001",chip="${chip}",sensor="${sensors[0]!.label}"}`);
    expect(Object.keys(temperature[0]!.metric).sort()).toEqual(['__name__', 'chip', 'device', 'instance', 'job', 'sensor']);
    expect(Number(temperature[0]!.value[1])).toBe(sensors[0]!.current);
    const disk = latest.disks[0]!;
    const filesystem = await query(`fleetmon_filesystem_used_ratio{device="sim-0001",mountpoint="${disk.mountpoint}"}`);
    expect(Number(filesystem[0]!.value[1])).toBeCloseTo(disk.percent / 100, 9);
    const iface = latest.network[0]!;
    const received = await query(`fleetmon_network_receive_bytes{device="sim-0001",interface="${iface.name}"}`);
    expect(Number(received[0]!.value[1])).toBe(iface.bytes_recv);
    // The README's query: the five hottest sensors of the fleet.
    expect(await query('topk(5, fleetmon_temperature_celsius)')).toHaveLength(5);
    // Every query of the Grafana dashboard is one Prometheus accepts, and the device panels find sim-0001.
    const dashboard = JSON.parse(readFileSync(join(repoRoot, 'grafana/fleetmon-dashboard.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((target) => ({ panel: p.title, expr: target.expr.replaceAll('$device', 'sim-0001').replaceAll('$__rate_interval', '1m') })));
    expect(exprs.length).toBeGreaterThan(20);
    // ...and so is every query the README shows.
    exprs.push(
      ...[
        'fleetmon_network_receive_bytes / on(device) group_left fleetmon_device_interval_seconds',
        'rate(fleetmon_network_receive_bytes[5m])',
        'fleetmon_cpu_usage_ratio and on(device) fleetmon_device_up == 1',
        'time() - fleetmon_device_last_sample_timestamp_seconds',
      ].map((expr) => ({ panel: 'README', expr })),
    );
    for (const { panel, expr } of exprs) await expect(query(expr), `${panel}: ${expr}`).resolves.toBeDefined();
    expect(await query('fleetmon_temperature_celsius{device="sim-0001"}')).not.toHaveLength(0);
    // fleetmon's own health: what the sim sent was counted.
    const accepted = await queryUntil('sum(fleetmon_samples_accepted_total)', (r) => r.length === 1);
    expect(Number(accepted[0]!.value[1])).toBeGreaterThanOrEqual(6);

    // sim-0002 reports again an hour later; sim-0001 and sim-0003 stay silent.
    clock.now += 3600;
    const again = await request<Record<string, unknown>>(`${backend.url}/metrics/sim-0002`, { headers: auth });
    const { sample_id: _sampleId, age_seconds: _age, ...payload } = again.body as { sample_id?: string; age_seconds?: number };
    const posted = await fetch(`${backend.url}/metrics`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...payload, agent_id: 'sim-0002' }) });
    expect(posted.status, await posted.text()).toBe(200);
    expect((await backend.checkSilentDevices()).sort()).toEqual(['sim-0001', 'sim-0003']);

    const down = await queryUntil('fleetmon_device_up', (r) => byDevice(r)['sim-0001'] === 0);
    expect(byDevice(down)).toEqual({ 'sim-0001': 0, 'sim-0002': 1, 'sim-0003': 0 });
    const offline = await queryUntil('fleetmon_alert_active{rule="device_offline"}', (r) => r.length === 2);
    expect(offline.map((s) => [s.metric['device'], s.metric['severity'], s.metric['subject']]).sort()).toEqual([
      ['sim-0001', 'critical', ''],
      ['sim-0003', 'critical', ''],
    ].map(([d, sev]) => [d, sev, undefined]));
  });
});
