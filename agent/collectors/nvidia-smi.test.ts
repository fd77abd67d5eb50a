import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNvidiaSmiReader, parseNvidiaSmiCsv, pciAddress } from './nvidia-smi.js';
import { fixture } from './test-fixtures.js';

const captured = (name: string) => readFileSync(fixture('nvidia-smi', `${name}.csv`), 'utf8');
const fakeNvidiaSmi = (name: string) => fixture('nvidia-smi', `${name}.sh`);

const A100_SERVER = [
  {
    index: 0,
    vendor: 'NVIDIA',
    name: 'NVIDIA A100-SXM4-80GB',
    driver: '550.54.15',
    utilization_percent: 87,
    memory_used_mb: 61234,
    memory_total_mb: 81920,
    temperature_C: 64,
    bus_id: '0000:07:00.0',
  },
  {
    index: 1,
    vendor: 'NVIDIA',
    name: 'NVIDIA A100-SXM4-80GB',
    driver: '550.54.15',
    utilization_percent: 0,
    memory_used_mb: 4,
    memory_total_mb: 81920,
    temperature_C: 31,
    bus_id: '0000:0f:00.0',
  },
];

describe('parseNvidiaSmiCsv', () => {
  it('reads every GPU of a two-GPU server', () => {
    expect(parseNvidiaSmiCsv(captured('a100-server'))).toEqual(A100_SERVER);
  });

  it('reads [N/A] as not measured: utilization of a GPU in MIG mode', () => {
    const [mig, whole] = parseNvidiaSmiCsv(captured('h100-mig'));
    expect(mig).toMatchObject({ index: 0, name: 'NVIDIA H100 80GB HBM3', utilization_percent: null, memory_used_mb: 13184, temperature_C: 38 });
    expect(whole).toMatchObject({ index: 1, utilization_percent: 100, memory_used_mb: 78112, memory_total_mb: 81559, temperature_C: 71, bus_id: '0000:43:00.0' });
  });

  it('reads a laptop GeForce', () => {
    expect(parseNvidiaSmiCsv(captured('laptop-geforce'))).toEqual([
      {
        index: 0,
        vendor: 'NVIDIA',
        name: 'NVIDIA GeForce RTX 3060 Laptop GPU',
        driver: '535.183.01',
        utilization_percent: 3,
        memory_used_mb: 8,
        memory_total_mb: 6144,
        temperature_C: 45,
        bus_id: '0000:01:00.0',
      },
    ]);
  });

  it('reads [Not Supported] as not measured (old GeForce cards report no utilization)', () => {
    const [gpu] = parseNvidiaSmiCsv('0, NVIDIA GeForce GT 710, 470.256.02, [Not Supported], 181, 2001, [N/A], 00000000:01:00.0\n');
    expect(gpu).toMatchObject({ utilization_percent: null, memory_used_mb: 181, temperature_C: null });
  });

  it('keeps a name that holds a comma, and skips lines that are no GPU', () => {
    const text = 'WARNING: infoROM is corrupted at gpu 0000:01:00.0\n0, Quadro RTX 4000, Mobile, 470.82.01, 5, 300, 8192, 50, 00000000:01:00.0\n\n';
    expect(parseNvidiaSmiCsv(text)).toEqual([expect.objectContaining({ index: 0, name: 'Quadro RTX 4000, Mobile', driver: '470.82.01', utilization_percent: 5 })]);
  });
});

describe('pciAddress', () => {
  it("writes nvidia-smi's bus id as sysfs does", () => {
    expect(pciAddress('00000000:0F:00.0')).toBe('0000:0f:00.0');
    expect(pciAddress('00010000:E0:00.0')).toBe('10000:e0:00.0');
    expect(pciAddress('something else')).toBe('something else');
  });
});

describe('createNvidiaSmiReader', () => {
  it('runs nvidia-smi with the query and parses what it prints', async () => {
    const reader = createNvidiaSmiReader({ command: fakeNvidiaSmi('a100-server'), timeoutMs: 5000 });
    expect(await reader.read()).toEqual(A100_SERVER);
  });

  it('finds no NVIDIA GPU where nvidia-smi is not installed, or finds no device', async () => {
    expect(await createNvidiaSmiReader({ command: fixture('nvidia-smi', 'not-installed'), timeoutMs: 5000 }).read()).toEqual([]);
    expect(await createNvidiaSmiReader({ command: fakeNvidiaSmi('no-devices'), timeoutMs: 5000 }).read()).toEqual([]);
  });

  it('looks for a missing nvidia-smi again only every so many reads', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetmon-nvidia-smi-'));
    try {
      const command = path.join(dir, 'nvidia-smi');
      const reader = createNvidiaSmiReader({ command, timeoutMs: 5000, lookAgainEvery: 3 });
      expect(await reader.read()).toEqual([]);
      // The driver gets installed; the script prints its output from next to itself.
      copyFileSync(fakeNvidiaSmi('laptop-geforce'), command);
      copyFileSync(fixture('nvidia-smi', 'laptop-geforce.csv'), path.join(dir, 'laptop-geforce.csv'));
      expect(await reader.read()).toEqual([]);
      expect(await reader.read()).toEqual([]);
      expect((await reader.read()).map((gpu) => gpu.name)).toEqual(['NVIDIA GeForce RTX 3060 Laptop GPU']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails, with what nvidia-smi said, when the driver does not answer', async () => {
    const reader = createNvidiaSmiReader({ command: fakeNvidiaSmi('driver-not-loaded'), timeoutMs: 5000 });
    await expect(reader.read()).rejects.toThrow(/driver-not-loaded\.sh exited with status 9: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/);
  });

  it('gives up at the deadline, and starts no second run while the first has not exited', async () => {
    const reader = createNvidiaSmiReader({ command: fakeNvidiaSmi('hangs'), timeoutMs: 100 });
    await expect(reader.read()).rejects.toThrow(/hangs\.sh did not answer within 0\.1 s/);
    await expect(reader.read()).rejects.toThrow(/hangs\.sh from an earlier sample is still running; not starting another/);
  });
});
