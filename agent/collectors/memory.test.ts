import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { memoryFromMeminfo, parseMeminfo, readMemory } from './memory.js';
import { fixture, fixtureContext } from './test-fixtures.js';

const meminfo = async (...parts: string[]) => parseMeminfo(await readFile(fixture(...parts), 'utf8'));

describe('parseMeminfo', () => {
  it('turns kB into bytes and keeps unitless counts as they are', async () => {
    const fields = await meminfo('proc', 'meminfo');
    expect(fields.get('MemTotal')).toBe(16303424 * 1024);
    expect(fields.get('Active(anon)')).toBe(6900224 * 1024);
    expect(fields.get('HugePages_Total')).toBe(0);
  });
});

describe('memoryFromMeminfo', () => {
  it('counts what is not available as used, and swap in use', async () => {
    // (16303424 − 5434475) / 16303424 = 66.67 %; swap (2097148 − 1572861) / 2097148 = 25 %.
    expect(memoryFromMeminfo(await meminfo('proc', 'meminfo'))).toEqual({
      percent: 66.7,
      swap_percent: 25,
      total_bytes: 16303424 * 1024,
      available_bytes: 5434475 * 1024,
      swap_total_bytes: 2097148 * 1024,
    });
  });

  it('reports 0 % swap on a machine without swap', async () => {
    // (4026376 − 3221100) / 4026376 = 20.00 %.
    expect(memoryFromMeminfo(await meminfo('meminfo', 'cloud-vm-no-swap'))).toMatchObject({
      percent: 20,
      swap_percent: 0,
      swap_total_bytes: 0,
    });
  });

  it('estimates available memory as free + buffers + cached on kernels before 3.14', async () => {
    // 503718 + 211000 + 1300000 = 2014718 kB available of 8058872: 75 % used.
    expect(memoryFromMeminfo(await meminfo('proc-legacy', 'meminfo'))).toEqual({
      percent: 75,
      swap_percent: 0,
      total_bytes: 8058872 * 1024,
      available_bytes: 2014718 * 1024,
      swap_total_bytes: 4194300 * 1024,
    });
  });

  it('refuses a meminfo without MemTotal', () => {
    expect(() => memoryFromMeminfo(parseMeminfo('MemFree: 10 kB\n'))).toThrow(/MemTotal/);
  });
});

describe('readMemory', () => {
  it('reads <procRoot>/meminfo', async () => {
    expect((await readMemory(fixtureContext('proc'))).percent).toBe(66.7);
  });
});
