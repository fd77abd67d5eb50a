// fleetmon-agent's command line as a user runs it: --print, --once, errors, and the single-file build.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricsPayloadSchema } from '../../shared/payload.js';
import { cleanUpAfterEach, queryDb, repoRoot, spawnBackend, tempDir } from '../../backend/test/helpers.js';
import { agentBundle, freePort, runAgent } from './processes.js';

const laptopSys = join(repoRoot, 'agent/collectors/fixtures/sys-laptop');

const t = cleanUpAfterEach();

describe('fleetmon-agent --print', () => {
  it('prints one valid payload with every field, measured on this machine', async () => {
    const { code, output } = await runAgent(['--print', '--critical-process', 'node', '--custom-check', 'echo raid degraded; exit 3']);
    expect(code).toBe(0);
    const payload = metricsPayloadSchema.parse(JSON.parse(output));
    expect(payload.cpu!.total_percent).toBeGreaterThanOrEqual(0);
    expect(payload.memory!.percent).toBeGreaterThan(0);
    expect(payload.disks!.map((d) => d.mountpoint)).toContain('/');
    expect(payload.disks!.every((d) => !/^\/(proc|sys|dev)(\/|$)/.test(d.mountpoint))).toBe(true);
    expect(payload.network!.some((n) => n.name === 'lo')).toBe(false);
    expect(payload.zombie_processes).toBeGreaterThanOrEqual(0);
    expect(payload.critical_processes).toEqual({ node: true });
    expect(payload).toMatchObject({ custom_alert: true, custom_message: 'raid degraded' });
    // No hwmon on this machine: an empty object, as the original sends.
    expect(payload.sensors_temperature).toEqual({});
  });

  it('reads temperature sensors from the sysfs root it is given', async () => {
    const { code, output } = await runAgent(['--print', '--sys-root', laptopSys]);
    expect(code).toBe(0);
    const payload = metricsPayloadSchema.parse(JSON.parse(output));
    expect(Object.keys(payload.sensors_temperature!).length).toBeGreaterThan(0);
    expect(Object.values(payload.sensors_temperature!).flat().every((s) => typeof s.current === 'number')).toBe(true);
  });

  it("measures clock drift against the backend's clock when given --server", async () => {
    t.dir = tempDir();
    t.backend = await spawnBackend(['--db', join(t.dir.path, 'monitor.sqlite')]);
    const { code, output } = await runAgent(['--print', '--server', t.backend.url]);
    expect(code).toBe(0);
    const payload = metricsPayloadSchema.parse(JSON.parse(output));
    // Same machine, same clock: the drift is the measuring error, well under a second.
    expect(Math.abs(payload.time_drift!.drift_seconds!)).toBeLessThan(0.5);
    // --print sends nothing.
    expect(queryDb(join(t.dir.path, 'monitor.sqlite'), 'select count(*) as n from samples')).toEqual([{ n: 0 }]);
  });

  it('runs as a single file with plain node, from a directory with no node_modules', async () => {
    t.dir = tempDir();
    const lonely = join(t.dir.path, 'opt');
    mkdirSync(lonely);
    copyFileSync(agentBundle, join(lonely, 'fleetmon-agent.cjs'));
    const { code, output } = await runAgent(['--print'], { script: join(lonely, 'fleetmon-agent.cjs'), cwd: lonely, env: { NODE_PATH: '' } });
    expect(code).toBe(0);
    expect(metricsPayloadSchema.safeParse(JSON.parse(output)).success).toBe(true);
  });
});

describe('fleetmon-agent --once', () => {
  it('exits 0 when the backend accepted the sample, which is then stored', async () => {
    t.dir = tempDir();
    const db = join(t.dir.path, 'monitor.sqlite');
    t.backend = await spawnBackend(['--db', db]);
    const { code, output } = await runAgent(['--once', '--server', t.backend.url, '--agent-id', 'once-host']);
    expect(code).toBe(0);
    expect(output).toContain('sample accepted');
    expect(queryDb(db, 'select device_id from samples')).toEqual([{ device_id: 'once-host' }]);
  });

  it('exits 1 and says why when the backend cannot be reached', async () => {
    const port = await freePort();
    const { code, output } = await runAgent(['--once', '--server', `http://127.0.0.1:${port}`, '--timeout', '2s']);
    expect(code).toBe(1);
    expect(output).toMatch(/unavailable/);
  });

  it('exits 1 with the backend\'s reason when it rejects the sample', async () => {
    t.dir = tempDir();
    t.backend = await spawnBackend(['--db', join(t.dir.path, 'monitor.sqlite'), '--body-limit', '100b']);
    const { code, output } = await runAgent(['--once', '--server', t.backend.url]);
    expect(code).toBe(1);
    expect(output).toMatch(/rejected the sample \(HTTP 413\).*--body-limit/);
  });
});

describe('fleetmon-agent configuration', () => {
  it('--help names every option with its environment variable', async () => {
    const { code, output } = await runAgent(['--help']);
    expect(code).toBe(0);
    for (const env of ['FLEETMON_SERVER', 'FLEETMON_INTERVAL', 'FLEETMON_AGENT_ID', 'FLEETMON_CRITICAL_PROCESSES', 'FLEETMON_CUSTOM_CHECK', 'FLEETMON_NTP_SERVER', 'FLEETMON_SPOOL_DIR', 'FLEETMON_SPOOL_MAX', 'FLEETMON_TOKEN_FILE']) {
      expect(output).toContain(env);
    }
    // The token itself only through the environment, which `ps` does not show.
    expect(output).toMatch(/FLEETMON_TOKEN(?!_)/);
  });

  it('takes its settings from the environment, as a systemd EnvironmentFile gives them', async () => {
    const { code, output } = await runAgent(['--print'], { env: { FLEETMON_AGENT_ID: 'env-host', FLEETMON_CRITICAL_PROCESSES: 'node,no-such-daemon' } });
    expect(code).toBe(0);
    expect(JSON.parse(output)).toMatchObject({ agent_id: 'env-host', critical_processes: { node: true, 'no-such-daemon': false } });
  });

  it.each([
    [[], /--server is required/],
    [['--server', 'monitor.lan'], /--server must be a URL/],
    [['--server', 'http://x', '--interval', 'often'], /--interval must be a duration/],
    [['--server', 'http://x', '--interval', '2d'], /--interval must be at most 1 day/],
    [['--server', 'http://x', '--agent-id', 'has space'], /--agent-id may contain only/],
    [['--server', 'http://x', '--spool-max', 'huge'], /--spool-max must be a size/],
  ])('refuses %j with a message saying what to do', async (args, message) => {
    const { code, output } = await runAgent(args, { env: { FLEETMON_SERVER: '' } });
    expect(code).toBe(1);
    expect(output).toMatch(message);
  });

  it('refuses a spool directory it cannot create, naming the option and without a stack trace', async () => {
    const { code, output } = await runAgent(['--server', 'http://127.0.0.1:9', '--spool-dir', '/etc/hostname/spool']);
    expect(code).toBe(1);
    expect(output).toContain('--spool-dir /etc/hostname/spool cannot be used (ENOTDIR');
    expect(output).toContain('FLEETMON_SPOOL_DIR');
    expect(output).not.toMatch(/\n\s+at /);
  });
});
