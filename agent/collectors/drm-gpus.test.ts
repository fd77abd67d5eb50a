import { describe, expect, it } from 'vitest';
import { attributeNumber, parseUevent, readDrmGpus } from './drm-gpus.js';
import { fixtureContext } from './test-fixtures.js';

describe('parseUevent', () => {
  it('reads KEY=value lines', () => {
    const fields = parseUevent('DRIVER=amdgpu\nPCI_ID=1002:7448\nPCI_SLOT_NAME=0000:03:00.0\n');
    expect(Object.fromEntries(fields)).toEqual({ DRIVER: 'amdgpu', PCI_ID: '1002:7448', PCI_SLOT_NAME: '0000:03:00.0' });
  });
});

describe('attributeNumber', () => {
  it('is the whole number an attribute holds, else null', () => {
    expect(attributeNumber('37\n')).toBe(37);
    expect(attributeNumber('')).toBeNull();
    expect(attributeNumber(null)).toBeNull();
    expect(attributeNumber('-1')).toBeNull();
  });
});

describe('readDrmGpus', () => {
  it('reads amdgpu cards, and not their connectors or render nodes', async () => {
    expect(await readDrmGpus(fixtureContext('proc', 'sys-amdgpu'))).toEqual([
      {
        vendor: 'AMD',
        name: 'AMD Radeon PRO W7900',
        driver: 'amdgpu',
        bus_id: '0000:03:00.0',
        pci_id: '1002:7448',
        card: 'card0',
        runtime_status: 'active',
        utilization_percent: 37,
        // bytes in MiB: 3412066304 and 51522830336
        memory_used_mb: 3254,
        memory_total_mb: 49136,
        // edge, not junction or mem
        temperature_C: 45,
        power_watts: 87,
        // freq1 "sclk", the shader clock
        frequency_mhz: 2170,
      },
      {
        // The CPU's integrated GPU: no product_name, unlabelled temperature, power1_input instead of power1_average.
        vendor: 'AMD',
        name: 'AMD GPU',
        driver: 'amdgpu',
        bus_id: '0000:11:00.0',
        pci_id: '1002:164E',
        card: 'card1',
        runtime_status: 'active',
        utilization_percent: 2,
        memory_used_mb: 81,
        memory_total_mb: 512,
        temperature_C: 41,
        power_watts: 9,
        frequency_mhz: null,
      },
    ]);
  });

  it('reads what i915 exposes cheaply, and wakes no GPU in runtime suspend to read it', async () => {
    expect(await readDrmGpus(fixtureContext('proc', 'sys-intel-laptop'))).toEqual([
      {
        vendor: 'Intel',
        name: 'Intel GPU',
        driver: 'i915',
        bus_id: '0000:00:02.0',
        pci_id: '8086:46A6',
        card: 'card0',
        runtime_status: 'active',
        utilization_percent: null,
        memory_used_mb: null,
        memory_total_mb: null,
        temperature_C: null,
        power_watts: null,
        frequency_mhz: 350,
      },
      {
        vendor: 'AMD',
        name: 'AMD GPU',
        driver: 'amdgpu',
        bus_id: '0000:03:00.0',
        pci_id: '1002:743F',
        card: 'card1',
        runtime_status: 'suspended',
        utilization_percent: null,
        memory_used_mb: null,
        memory_total_mb: null,
        temperature_C: null,
        power_watts: null,
        frequency_mhz: null,
      },
    ]);
  });

  it('reads the frequency and first temperature of an xe card', async () => {
    const [arc] = await readDrmGpus(fixtureContext('proc', 'sys-intel-arc'));
    expect(arc).toMatchObject({ vendor: 'Intel', driver: 'xe', frequency_mhz: 2850, temperature_C: 48, power_watts: null, utilization_percent: null });
  });

  it('finds none on a machine without a DRM class', async () => {
    expect(await readDrmGpus(fixtureContext('proc', 'sys-laptop'))).toEqual([]);
  });
});
