// Whether a silence holds a problem's notifications back. Pure.
import picomatch from 'picomatch';
import type { SilenceRow } from '../store/schema.js';
import type { RoutedProblem } from './routing.js';

export type SilenceMatchers = Pick<SilenceRow, 'device' | 'rule' | 'subject' | 'severity'>;

export function silenceMatches(s: SilenceMatchers, p: RoutedProblem): boolean {
  return (
    (s.device === null || picomatch.isMatch(p.deviceId, s.device)) &&
    (s.rule === null || s.rule === p.rule) &&
    (s.subject === null || s.subject === p.subject) &&
    (s.severity === null || s.severity === p.severity)
  );
}

/** In force at `now`: started, not yet ended. */
export const silenceActive = (s: Pick<SilenceRow, 'starts_at' | 'ends_at'>, now: number) => s.starts_at <= now && now < s.ends_at;

export const isSilenced = (p: RoutedProblem, silences: readonly SilenceRow[], now: number): boolean =>
  silences.some((s) => silenceActive(s, now) && silenceMatches(s, p));
