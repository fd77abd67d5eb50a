// Traffic, errors and drops per network interface from /proc/net/dev, as counts over the
// interval since the previous reading (the original alerts on errin > 100, which only means
// something per interval: lifetime counters of a long-running machine would alert forever).
import { readFileSync } from 'node:fs';
import { type CollectorContext, procPath } from './context.js';
import { counterDelta } from './counters.js';

export type InterfaceCounters = {
  bytes_recv: number;
  packets_recv: number;
  errin: number;
  dropin: number;
  bytes_sent: number;
  packets_sent: number;
  errout: number;
  dropout: number;
};

export type InterfaceTraffic = { name: string } & InterfaceCounters;

// Column positions after "iface:": 8 receive columns, then 8 transmit columns.
const COLUMNS: Record<keyof InterfaceCounters, number> = {
  bytes_recv: 0,
  packets_recv: 1,
  errin: 2,
  dropin: 3,
  bytes_sent: 8,
  packets_sent: 9,
  errout: 10,
  dropout: 11,
};
const COUNTER_NAMES = Object.keys(COLUMNS) as (keyof InterfaceCounters)[];

const LOOPBACK = 'lo';

/** Interfaces in the kernel's order. Old kernels print no space after the colon, hence the split on ':'. */
export function parseProcNetDev(text: string): Map<string, InterfaceCounters> {
  const interfaces = new Map<string, InterfaceCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const name = line.slice(0, colon).trim();
    const values = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!name || values.length < 16 || values.some((value) => !Number.isFinite(value))) continue;
    const counters = {} as InterfaceCounters;
    for (const counter of COUNTER_NAMES) counters[counter] = values[COLUMNS[counter]] ?? 0;
    interfaces.set(name, counters);
  }
  return interfaces;
}

export function trafficBetween(
  before: Map<string, InterfaceCounters>,
  after: Map<string, InterfaceCounters>,
): InterfaceTraffic[] {
  const traffic: InterfaceTraffic[] = [];
  for (const [name, current] of after) {
    if (name === LOOPBACK) continue;
    // An interface seen for the first time has no interval yet: its lifetime totals are not "last minute".
    const previous = before.get(name) ?? current;
    const entry = { name } as InterfaceTraffic;
    for (const counter of COUNTER_NAMES) entry[counter] = counterDelta(previous[counter], current[counter]);
    traffic.push(entry);
  }
  return traffic;
}

async function readProcNetDev(ctx: CollectorContext): Promise<Map<string, InterfaceCounters>> {
  return parseProcNetDev(readFileSync(procPath(ctx, 'net', 'dev'), 'utf8'));
}

export interface NetworkCollector {
  collect(): Promise<InterfaceTraffic[]>;
}

/** Each collect reports the counts since the previous one (the first, since creation). */
export function createNetworkCollector(ctx: CollectorContext): NetworkCollector {
  // Without a reading at creation every interface counts as new on the first collect: all zeros.
  let previous: Promise<Map<string, InterfaceCounters>> = readProcNetDev(ctx).catch(() => new Map());
  return {
    async collect() {
      const current = await readProcNetDev(ctx);
      const before = await previous;
      previous = Promise.resolve(current);
      return trafficBetween(before, current);
    },
  };
}
