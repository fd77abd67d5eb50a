import { describe, expect, it } from 'vitest';
import { metricsPayloadSchema } from '../shared/payload.js';
import { createSampler } from './collect.js';
import { hostContext } from './collectors/context.js';
import type { Statfs } from './collectors/disks.js';
import { fixture } from './collectors/test-fixtures.js';

// Tests on fixture trees must not find this machine's nvidia-smi.
const noNvidiaSmi = fixture('nvidia-smi', 'not-installed');

describe('createSampler on this machine', () => {
  it('assembles a payload the backend accepts', async () => {
    const warnings: string[] = [];
    const sampler = createSampler({
      ctx: hostContext,
      agentId: 'ci-runner.example',
      criticalProcesses: ['node', 'no-such-daemon'],
      customCheck: 'echo all good',
      customCheckTimeoutMs: 2000,
      warn: (message) => warnings.push(message),
    });
    const payload = await sampler.sample({ drift_seconds: -0.25 });

    expect(metricsPayloadSchema.parse(payload)).toEqual(payload);
    expect(warnings).toEqual([]);
    expect(payload.agent_id).toBe('ci-runner.example');
    expect(payload.cpu?.load_average).toHaveLength(3);
    expect(payload.memory?.percent).toBeGreaterThan(0);
    expect(payload.disks?.map((d) => d.mountpoint)).toContain('/');
    // This machine has no /sys/class/hwmon.
    expect(payload.sensors_temperature).toEqual({});
    expect(payload.network?.map((i) => i.name)).not.toContain('lo');
    expect(payload.time_drift).toEqual({ drift_seconds: -0.25 });
    expect(payload.critical_processes).toEqual({ node: true, 'no-such-daemon': false });
    expect(payload.zombie_processes).toBeGreaterThanOrEqual(0);
    expect(payload.processes?.length).toBeGreaterThan(0);
    expect(payload.processes?.length).toBeLessThanOrEqual(15);
    expect(payload.uptime_sec).toBeGreaterThan(0);
    expect(Array.isArray(payload.gpus)).toBe(true);
    expect(payload.custom_alert).toBe(false);
    expect(payload.custom_message).toBe('all good');
  });

  it('sends GPUs, uptime and the busiest processes', async () => {
    const sampler = createSampler({
      ctx: { procRoot: fixture('proc'), sysRoot: fixture('sys-amdgpu') },
      agentId: 'workstation',
      criticalProcesses: [],
      customCheckTimeoutMs: 1000,
      statfs: async () => ({ bsize: 4096, blocks: 10, bfree: 5, bavail: 5, files: 0, ffree: 0 }),
      nvidiaSmi: noNvidiaSmi,
      warn: (message) => expect.unreachable(message),
    });
    const payload = await sampler.sample();
    expect(metricsPayloadSchema.parse(payload)).toEqual(payload);
    expect(payload.uptime_sec).toBe(350735.47);
    expect(payload.gpus).toEqual([
      expect.objectContaining({ index: 0, vendor: 'AMD', name: 'AMD Radeon PRO W7900', utilization_percent: 37, memory_used_mb: 3254, temperature_C: 45 }),
      expect.objectContaining({ index: 1, vendor: 'AMD', name: 'AMD GPU', utilization_percent: 2, temperature_C: 41 }),
    ]);
    // Nothing ran between the reading at creation and this one: every share is measured and 0.
    expect(payload.processes?.[0]).toEqual({ pid: 2600, name: 'java', cpu: 0, memory: 25.8, status: 'sleeping' });
  });

  it('leaves out time_drift when no drift is known, and reports no custom alert without a check', async () => {
    const sampler = createSampler({ ctx: hostContext, agentId: 'a', criticalProcesses: [], customCheckTimeoutMs: 1000 });
    const payload = await sampler.sample({});
    expect(payload).not.toHaveProperty('time_drift');
    expect(payload.custom_alert).toBe(false);
    expect(payload).not.toHaveProperty('custom_message');
  });
});

describe('createSampler when collectors fail', () => {
  it('sends what it could measure and warns about the rest', async () => {
    const warnings: string[] = [];
    const sampler = createSampler({
      // A proc tree with meminfo and PIDs but no /proc/net/dev; statfs that always fails.
      ctx: { procRoot: fixture('proc-legacy'), sysRoot: fixture('sys-legacy') },
      agentId: 'old-box',
      criticalProcesses: ['sshd'],
      customCheck: 'exit 1',
      customCheckTimeoutMs: 2000,
      statfs: (async () => {
        throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      }) satisfies Statfs,
      nvidiaSmi: noNvidiaSmi,
      warn: (message) => warnings.push(message),
    });
    const payload = await sampler.sample();

    expect(metricsPayloadSchema.parse(payload)).toEqual(payload);
    expect(payload).toMatchObject({
      agent_id: 'old-box',
      memory: { percent: 75, swap_percent: 0 },
      // Every mount listed, none measured: not the same as "no disks".
      disks: [
        { mountpoint: '/', percent: null, inode_percent: null },
        { mountpoint: '/boot', percent: null, inode_percent: null },
        { mountpoint: '/var/lib/my app', percent: null, inode_percent: null },
      ],
      sensors_temperature: { coretemp: expect.any(Array), it8712: expect.any(Array) },
      zombie_processes: 0,
      critical_processes: { sshd: false },
      processes: [],
      gpus: [],
      uptime_sec: 8213004.91,
      custom_alert: true,
      custom_message: 'check exited with status 1',
    });
    expect(payload).not.toHaveProperty('cpu');
    expect(payload).not.toHaveProperty('network');
    expect(warnings.sort()).toEqual([
      expect.stringMatching(/^could not collect cpu: .*ENOENT/),
      expect.stringMatching(/^could not collect network: .*ENOENT/),
      'statfs on / failed (EACCES); reporting its space as not measured',
      'statfs on /boot failed (EACCES); reporting its space as not measured',
      'statfs on /var/lib/my app failed (EACCES); reporting its space as not measured',
    ]);
  });

  it('drops a field the schema would refuse instead of losing the sample', async () => {
    const warnings: string[] = [];
    const sampler = createSampler({
      ctx: { procRoot: fixture('proc'), sysRoot: fixture('sys-laptop') },
      agentId: 'desktop',
      // An empty name (say, a stray comma in the configuration) is not a valid critical_processes key.
      criticalProcesses: ['sshd', ''],
      customCheckTimeoutMs: 1000,
      statfs: async () => ({ bsize: 4096, blocks: 10, bfree: 5, bavail: 5, files: 0, ffree: 0 }),
      nvidiaSmi: noNvidiaSmi,
      warn: (message) => warnings.push(message),
    });
    const payload = await sampler.sample();
    expect(payload).not.toHaveProperty('critical_processes');
    expect(payload.zombie_processes).toBe(2);
    expect(payload.memory?.percent).toBe(66.7);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^dropping critical_processes from the sample: critical_processes\b/);
  });

  it('refuses an agent id the backend would refuse', async () => {
    const sampler = createSampler({ ctx: hostContext, agentId: 'has spaces', criticalProcesses: [], customCheckTimeoutMs: 1000, warn: () => {} });
    await expect(sampler.sample()).rejects.toThrow(/agent id "has spaces" is not valid/);
  });
});
