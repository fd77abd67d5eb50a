import { describe, expect, it } from 'vitest';
import { hostContext } from './context.js';
import { fixtureContext } from './test-fixtures.js';
import { parseUptime, readUptimeSeconds } from './uptime.js';

describe('parseUptime', () => {
  it('is the first number, in seconds', () => {
    expect(parseUptime('350735.47 1382950.12\n')).toBe(350735.47);
  });

  it('refuses text that is no uptime', () => {
    expect(() => parseUptime('')).toThrow(/unreadable \/proc\/uptime/);
    expect(() => parseUptime('soon 12')).toThrow(/unreadable \/proc\/uptime: soon 12/);
  });
});

describe('readUptimeSeconds', () => {
  it('reads /proc/uptime under the proc root', async () => {
    expect(await readUptimeSeconds(fixtureContext('proc'))).toBe(350735.47);
  });

  it('fails when there is no /proc/uptime', async () => {
    await expect(readUptimeSeconds(fixtureContext('no-such-proc'))).rejects.toThrow(/ENOENT/);
  });

  it('reads this machine', async () => {
    expect(await readUptimeSeconds(hostContext)).toBeGreaterThan(0);
  });
});
