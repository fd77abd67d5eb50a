import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { counterDelta } from './counters.js';
import { createNetworkCollector, parseProcNetDev, trafficBetween } from './network.js';
import { fixture, fixtureContext } from './test-fixtures.js';

const netDev = async (tree: string) => parseProcNetDev(await readFile(fixture(tree, 'net', 'dev'), 'utf8'));

describe('parseProcNetDev', () => {
  it('reads receive and transmit counters of every interface, header lines skipped', async () => {
    const interfaces = await netDev('proc');
    expect([...interfaces.keys()]).toEqual(['lo', 'eth0', 'wlan0', 'docker0']);
    expect(interfaces.get('eth0')).toEqual({
      bytes_recv: 1893340221,
      packets_recv: 1620045,
      errin: 12,
      dropin: 3,
      bytes_sent: 214003112,
      packets_sent: 980231,
      errout: 0,
      dropout: 0,
    });
  });

  it('reads lines of old kernels, with no space after the colon', () => {
    const text = 'eth0:1893340221 1620045 12 3 0 12 0 10234 214003112 980231 0 0 0 0 0 0\n';
    expect(parseProcNetDev(text).get('eth0')?.bytes_recv).toBe(1893340221);
  });
});

describe('counterDelta', () => {
  it('is the increase, or the new value after a reset', () => {
    expect(counterDelta(100, 250)).toBe(150);
    expect(counterDelta(52300412, 40960)).toBe(40960);
  });
});

const expectedInterval = [
  {
    name: 'eth0',
    bytes_recv: 1500000,
    packets_recv: 1200,
    errin: 3,
    dropin: 1,
    bytes_sent: 250000,
    packets_sent: 900,
    errout: 0,
    dropout: 2,
  },
  // Driver reloaded: the counters restarted, so what they show now is this interval's traffic.
  { name: 'wlan0', bytes_recv: 40960, packets_recv: 35, errin: 0, dropin: 1, bytes_sent: 12288, packets_sent: 30, errout: 0, dropout: 0 },
  // Came up during the interval: no previous reading, so nothing to report yet.
  { name: 'tun0', bytes_recv: 0, packets_recv: 0, errin: 0, dropin: 0, bytes_sent: 0, packets_sent: 0, errout: 0, dropout: 0 },
];

describe('trafficBetween', () => {
  it('counts per interval, without loopback and without interfaces that went away', async () => {
    expect(trafficBetween(await netDev('proc'), await netDev('proc-later'))).toEqual(expectedInterval);
  });
});

describe('createNetworkCollector', () => {
  it('reports the interval since the reading at creation, then since the last collect', async () => {
    const ctx = fixtureContext('proc');
    const collector = createNetworkCollector(ctx);
    ctx.procRoot = fixture('proc-later');
    expect(await collector.collect()).toEqual(expectedInterval);
    const again = await collector.collect();
    expect(again.map((i) => i.bytes_recv + i.bytes_sent + i.errin)).toEqual([0, 0, 0]);
  });
});
