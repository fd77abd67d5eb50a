import { describe, expect, it } from 'vitest';
import { cachedHostInfo, readHostInfo } from './host-info.js';

describe('host info', () => {
  it('names the operating system, kernel and CPU of this machine', async () => {
    const info = await readHostInfo();
    expect(info.kernel).toMatch(/^\d+\.\d+/);
    expect(info.os).toBeTruthy();
    expect(info.cpu_cores).toBeGreaterThan(0);
  });

  it('is read once, and again only after a failure', async () => {
    let calls = 0;
    const read = cachedHostInfo(async () => {
      calls += 1;
      if (calls === 1) throw new Error('no /etc/os-release');
      return { os: 'Debian 12' };
    });
    await expect(read()).rejects.toThrow('no /etc/os-release');
    expect(await read()).toEqual({ os: 'Debian 12' });
    expect(await read()).toEqual({ os: 'Debian 12' });
    expect(calls).toBe(2);
  });
});
