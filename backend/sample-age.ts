// A sample older than the raw retention would be deleted by the next maintenance pass, and its
// time is far outside anything rollups and history cover: refuse it at the edge instead, so the
// agent hears why (a 4xx) rather than believe it was kept.
import type { FieldProblem, MetricsPayload } from '../shared/payload.js';

/** "30 d = 2592000 s": the option as it was probably written, and the exact limit. */
function spelledSeconds(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} d = ${seconds} s`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h = ${seconds} s`;
  return `${seconds} s`;
}

/** The problem with a sample's `age_seconds` under a raw retention of `retentionSeconds`, if any. */
export function checkSampleAge(payload: Pick<MetricsPayload, 'age_seconds'>, retentionSeconds: number): FieldProblem[] {
  const age = payload.age_seconds;
  if (age === undefined || age <= retentionSeconds) return [];
  return [
    {
      field: 'age_seconds',
      message: `${age} is older than the raw retention (${spelledSeconds(retentionSeconds)}); such a sample would be deleted at once`,
    },
  ];
}
