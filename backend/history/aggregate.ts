// Summaries of many values as (sum, max, count): they combine exactly, so a bucket made of raw
// samples, 5-minute rollups and hourly rollups averages count-weighted whatever its sources.
import type { RollupValues } from '../store/rollups.js';
import { headlineSeries } from './series.js';
import { readStoredPayload } from '../store/samples.js';

export interface Summary {
  sum: number;
  max: number;
  count: number;
}

/** Fold a summary (one value is `{ sum: v, max: v, count: 1 }`) into `map` under `key`. */
export function addSummary<K>(map: Map<K, Summary>, key: K, sum: number, max: number, count: number): void {
  const known = map.get(key);
  if (known === undefined) {
    map.set(key, { sum, max, count });
  } else {
    known.sum += sum;
    known.max = Math.max(known.max, max);
    known.count += count;
  }
}

export const floorTo = (time: number, step: number): number => Math.floor(time / step) * step;
export const ceilTo = (time: number, step: number): number => Math.ceil(time / step) * step;

/** Roll samples up into buckets of `bucketSeconds`: one row per device, bucket and series. */
export function summariseSamples(
  samples: readonly { deviceId: string; timestamp: number; payload: string }[],
  bucketSeconds: number,
): RollupValues[] {
  const byDevice = new Map<string, Map<number, Map<string, Summary>>>();
  for (const sample of samples) {
    let buckets = byDevice.get(sample.deviceId);
    if (buckets === undefined) byDevice.set(sample.deviceId, (buckets = new Map()));
    const bucket = floorTo(sample.timestamp, bucketSeconds);
    let series = buckets.get(bucket);
    if (series === undefined) buckets.set(bucket, (series = new Map()));
    for (const [name, value] of headlineSeries(readStoredPayload(sample.payload))) addSummary(series, name, value, value, 1);
  }
  const rows: RollupValues[] = [];
  for (const [deviceId, buckets] of byDevice) {
    for (const [bucket, series] of buckets) {
      for (const [name, s] of series) rows.push({ deviceId, bucket, series: name, avg: s.sum / s.count, max: s.max, count: s.count });
    }
  }
  return rows;
}
