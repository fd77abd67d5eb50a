// The original backend's GET /history/{agent_id}: the last N CPU and memory percents for a small
// chart, oldest first, padded at the front to exactly N, and the usual gap between samples.

export interface RecentRow {
  timestamp: number;
  cpu_percent: number | null;
  memory_percent: number | null;
}

export interface RecentCpuMemory {
  cpu: number[];
  mem: number[];
  interval_sec: number;
}

/** What the original answers for a device it has no samples of. */
export const DEFAULT_INTERVAL_SEC = 5;

/**
 * Values oldest first, exactly `length` of them: a value that was not measured repeats the one before
 * it (the first known one at the start), and the front is padded with the first value.
 */
function padded(values: (number | null)[], length: number): number[] {
  const firstKnown = values.find((v): v is number => v !== null) ?? 0;
  let last = firstKnown;
  const filled = values.map((v) => (last = v ?? last));
  return [...Array<number>(length - filled.length).fill(filled[0] ?? 0), ...filled];
}

/** `newestFirst`: at most `samples` rows, as the store reads them. */
export function recentCpuMemory(newestFirst: readonly RecentRow[], samples: number): RecentCpuMemory {
  const rows = [...newestFirst].reverse();
  let intervalSec = DEFAULT_INTERVAL_SEC;
  if (rows.length >= 2) {
    const averageGap = (rows[rows.length - 1]!.timestamp - rows[0]!.timestamp) / (rows.length - 1);
    intervalSec = Math.min(60, Math.max(1, Math.round(averageGap)));
  }
  return {
    cpu: padded(rows.map((r) => r.cpu_percent), samples),
    mem: padded(rows.map((r) => r.memory_percent), samples),
    interval_sec: intervalSec,
  };
}
