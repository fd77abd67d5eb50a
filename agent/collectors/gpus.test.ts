import { describe, expect, it } from 'vitest';
import { createGpuCollector } from './gpus.js';
import { fixture, fixtureContext } from './test-fixtures.js';

const notInstalled = fixture('nvidia-smi', 'not-installed');

describe('createGpuCollector', () => {
  it('lists no GPU on a machine without any', async () => {
    expect(await createGpuCollector(fixtureContext('proc', 'sys-laptop'), { nvidiaSmi: notInstalled }).collect()).toEqual([]);
  });

  it('numbers GPUs across vendors: NVIDIA first, as nvidia-smi numbers them, then DRM cards in order', async () => {
    const gpus = await createGpuCollector(fixtureContext('proc', 'sys-intel-laptop'), { nvidiaSmi: fixture('nvidia-smi', 'laptop-geforce.sh') }).collect();
    expect(gpus.map((gpu) => [gpu.index, gpu.vendor, gpu.name, gpu.bus_id])).toEqual([
      [0, 'NVIDIA', 'NVIDIA GeForce RTX 3060 Laptop GPU', '0000:01:00.0'],
      [1, 'Intel', 'Intel GPU', '0000:00:02.0'],
      [2, 'AMD', 'AMD GPU', '0000:03:00.0'],
    ]);
  });

  it('reports no list at all when nvidia-smi fails: a partial one would say the NVIDIA GPUs are gone', async () => {
    const collector = createGpuCollector(fixtureContext('proc', 'sys-amdgpu'), { nvidiaSmi: fixture('nvidia-smi', 'driver-not-loaded.sh') });
    await expect(collector.collect()).rejects.toThrow(/exited with status 9/);
  });
});
