import { describe, expect, it } from 'vitest';
import { millidegreesToCelsius, readHwmonSensors, uniqueChipNames } from './sensors.js';
import { fixtureContext } from './test-fixtures.js';

describe('millidegreesToCelsius', () => {
  it('rounds to one decimal, halves up, without float error', () => {
    expect(millidegreesToCelsius('38850\n')).toBe(38.9);
    expect(millidegreesToCelsius('48625')).toBe(48.6);
    expect(millidegreesToCelsius('-20150')).toBe(-20.1);
  });

  it('rejects what is not a temperature', () => {
    expect(millidegreesToCelsius('')).toBeNull();
    expect(millidegreesToCelsius('N/A')).toBeNull();
    expect(millidegreesToCelsius('-300000')).toBeNull();
  });
});

describe('uniqueChipNames', () => {
  it('suffixes repeated names in order', () => {
    expect(uniqueChipNames(['nvme', 'coretemp', 'nvme', 'nvme'])).toEqual(['nvme', 'coretemp', 'nvme-1', 'nvme-2']);
  });
});

describe('readHwmonSensors', () => {
  it('reads an Intel laptop: acpitz, coretemp and two NVMe drives', async () => {
    expect(await readHwmonSensors(fixtureContext('proc', 'sys-laptop'))).toEqual({
      acpitz: [{ label: 'temp1', current: 27.8, high: null, critical: 119 }],
      // hwmon2 comes before hwmon10, so it keeps the plain name.
      nvme: [
        { label: 'Composite', current: 38.9, high: 81.9, critical: 84.9 },
        { label: 'Sensor 1', current: 38.9, high: 65261.9, critical: null },
        { label: 'Sensor 2', current: 42.9, high: null, critical: null },
      ],
      // temp14 has no input: left out. iwlwifi_1's only input cannot be read: no chip. BAT0 has no temperatures.
      coretemp: [
        { label: 'Package id 0', current: 52, high: 80, critical: 100 },
        { label: 'Core 0', current: 49, high: 80, critical: 100 },
        { label: 'Core 4', current: 51, high: 80, critical: 100 },
        { label: 'Core 8', current: 47, high: 80, critical: 100 },
      ],
      'nvme-1': [{ label: 'Composite', current: 45.9, high: 82.9, critical: 85.9 }],
    });
  });

  it('reads an AMD desktop: k10temp, amdgpu and an NVMe drive', async () => {
    expect(await readHwmonSensors(fixtureContext('proc', 'sys-amd-desktop'))).toEqual({
      k10temp: [
        { label: 'Tctl', current: 48.6, high: null, critical: null },
        { label: 'Tccd1', current: 41.3, high: null, critical: null },
      ],
      amdgpu: [
        { label: 'edge', current: 45, high: null, critical: 100 },
        { label: 'junction', current: 47, high: null, critical: 110 },
        { label: 'mem', current: 52, high: null, critical: 105 },
      ],
      nvme: [{ label: 'Composite', current: 36.9, high: 74.9, critical: 79.9 }],
    });
  });

  it('finds the sensors in hwmonN/device/ on old kernels', async () => {
    expect(await readHwmonSensors(fixtureContext('proc', 'sys-legacy'))).toEqual({
      coretemp: [
        { label: 'Core 0', current: 40, high: 85, critical: 100 },
        { label: 'Core 1', current: 42, high: 85, critical: 100 },
      ],
      it8712: [
        { label: 'temp1', current: 35, high: 127, critical: null },
        { label: 'temp2', current: 40, high: 127, critical: null },
      ],
    });
  });

  it('is empty on a machine without hwmon (a VM, a container)', async () => {
    expect(await readHwmonSensors(fixtureContext('proc', 'no-such-sys'))).toEqual({});
  });
});
