import { describe, expect, it } from 'vitest';
import { originalExample } from '../test/payloads.js';
import { fieldKind, filterSeries, headlineSeries, seriesFilter } from './series.js';

describe('headlineSeries', () => {
  it("names every headline value of the original's example payload", () => {
    expect(Object.fromEntries(headlineSeries(originalExample))).toEqual({
      cpu: 95,
      memory: 92,
      swap: 55,
      'disk:/:percent': 95,
      'disk:/:inode_percent': 95,
      'sensor:coretemp/Core 0': 90,
      'net:#0:bytes_recv': 0,
      'net:#0:bytes_sent': 0,
      'net:#0:errin': 150,
      'net:#0:errout': 0,
    });
  });

  it('names unlabelled sensors and named interfaces like the alerts do, and skips what is absent', () => {
    const series = headlineSeries({
      agent_id: 'x',
      memory: { percent: 10 },
      disks: [{ mountpoint: '/data', percent: 12 }],
      sensors_temperature: { acpitz: [{ current: 40 }, { label: '', current: 41 }] },
      network: [{ name: 'eth0', bytes_recv: 5, bytes_sent: 6 }],
    });
    expect(Object.fromEntries(series)).toEqual({
      memory: 10,
      'disk:/data:percent': 12,
      'sensor:acpitz/#0': 40,
      'sensor:acpitz/#1': 41,
      'net:eth0:bytes_recv': 5,
      'net:eth0:bytes_sent': 6,
    });
  });

  it("names interfaces by the original agent's `interface`, GPUs by index or id, and skips what was not measured", () => {
    const series = headlineSeries({
      agent_id: 'x',
      cpu: { total_percent: null },
      disks: [{ mountpoint: '/nfs', percent: null, inode_percent: null }],
      network: [{ interface: 'enp3s0', bytes_recv: 7, bytes_sent: null }],
      gpus: [
        { index: 0, utilization_percent: 55, memory_used_mb: 1024, temperature_C: 61 },
        { id: 1, memory_used_MB: 2048, temperature_C: null },
      ],
    });
    expect(Object.fromEntries(series)).toEqual({
      'net:enp3s0:bytes_recv': 7,
      'gpu:0:utilization': 55,
      'gpu:0:memory_used_mb': 1024,
      'gpu:0:temperature': 61,
      'gpu:1:memory_used_mb': 2048,
    });
  });

  it('is empty for a payload with nothing but its agent_id', () => {
    expect(headlineSeries({ agent_id: 'bare' }).size).toBe(0);
  });
});

describe('fields', () => {
  const all = headlineSeries(originalExample);

  it('filters by kind, by a thing, or by a full series name', () => {
    expect([...filterSeries(all, ['cpu', 'memory']).keys()]).toEqual(['cpu', 'memory']);
    expect([...filterSeries(all, ['disk']).keys()]).toEqual(['disk:/:percent', 'disk:/:inode_percent']);
    expect([...filterSeries(all, ['disk:/']).keys()]).toEqual(['disk:/:percent', 'disk:/:inode_percent']);
    expect([...filterSeries(all, ['net:#0:errin', 'sensor:coretemp']).keys()]).toEqual(['sensor:coretemp/Core 0', 'net:#0:errin']);
    expect(filterSeries(all, undefined)).toBe(all);
  });

  it('does not take a name for the start of a longer one', () => {
    expect(seriesFilter(['disk:/'])('disk:/data:percent')).toBe(false);
    expect(seriesFilter(['cpu'])('cpux')).toBe(false);
  });

  it('knows the kinds', () => {
    expect(['cpu', 'memory', 'swap', 'disk:/', 'sensor', 'net:eth0'].map(fieldKind)).toEqual(['cpu', 'memory', 'swap', 'disk', 'sensor', 'net']);
    expect(fieldKind('load')).toBeUndefined();
    expect(fieldKind('')).toBeUndefined();
  });
});
