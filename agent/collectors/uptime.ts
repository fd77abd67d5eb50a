// Time since boot from /proc/uptime, sent as the original's `uptime_sec`.
import { readFileSync } from 'node:fs';
import { type CollectorContext, procPath } from './context.js';

/** `/proc/uptime`: seconds since boot, then idle seconds summed over all CPUs; only the first counts. */
export function parseUptime(text: string): number {
  const seconds = Number(text.trim().split(/\s+/)[0]);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 0) throw new Error(`unreadable /proc/uptime: ${text.trim()}`);
  return seconds;
}

export async function readUptimeSeconds(ctx: CollectorContext): Promise<number> {
  return parseUptime(readFileSync(procPath(ctx, 'uptime'), 'utf8'));
}
