// Percentages the way every collector reports them: one decimal, never outside 0..100, because
// the payload schema rejects anything else and counters read a moment apart can overshoot.

export const roundToTenth = (value: number): number => Math.round(value * 10) / 10;

/** `part` as a percentage of `whole`; 0 when there is no whole to speak of. */
export function percentOf(part: number, whole: number): number {
  if (!(whole > 0) || !Number.isFinite(part)) return 0;
  return roundToTenth(Math.min(100, Math.max(0, (part / whole) * 100)));
}
