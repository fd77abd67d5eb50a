// Memory and swap use from /proc/meminfo.
import { readFileSync } from 'node:fs';
import { type CollectorContext, procPath } from './context.js';
import { percentOf } from './percent.js';

export type MemoryMetrics = {
  percent: number;
  swap_percent: number;
  total_bytes: number;
  available_bytes: number;
  swap_total_bytes: number;
};

/** Every `Key: value [kB]` line, in bytes (the kernel's "kB" means KiB). */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):\s+(\d+)(\s+kB)?\s*$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    fields.set(match[1], Number(match[2]) * (match[3] ? 1024 : 1));
  }
  return fields;
}

export function memoryFromMeminfo(fields: Map<string, number>): MemoryMetrics {
  const total = fields.get('MemTotal');
  if (total === undefined) throw new Error('/proc/meminfo has no MemTotal');
  // MemAvailable appeared in Linux 3.14; before it, free + buffers + page cache is the usual estimate.
  const available =
    fields.get('MemAvailable') ??
    (fields.get('MemFree') ?? 0) + (fields.get('Buffers') ?? 0) + (fields.get('Cached') ?? 0);
  const swapTotal = fields.get('SwapTotal') ?? 0;
  const swapFree = fields.get('SwapFree') ?? swapTotal;
  return {
    percent: percentOf(total - available, total),
    swap_percent: percentOf(swapTotal - swapFree, swapTotal),
    total_bytes: total,
    available_bytes: Math.min(available, total),
    swap_total_bytes: swapTotal,
  };
}

export async function readMemory(ctx: CollectorContext): Promise<MemoryMetrics> {
  return memoryFromMeminfo(parseMeminfo(readFileSync(procPath(ctx, 'meminfo'), 'utf8')));
}
