// Flapping (as Nagios has it): a problem that fires and clears many times in a short window. While
// it flaps its messages are held back and receivers get one message saying so; once it settles
// they get one message with where it ended (still open: firing; cleared: recovered). Pure.

export interface FlapSettings {
  /** The window state changes are counted in (flap_window). */
  windowSeconds: number;
  /** More state changes (fired or recovered) than this in the window: flapping (flap_threshold; 0: never). */
  threshold: number;
}

/** A flapping problem has settled once it has changed state fewer than this many times in the window. */
export const SETTLED_BELOW = 3;

export const DEFAULT_FLAP: FlapSettings = { windowSeconds: 3600, threshold: 6 };

export type FlapDecision = 'starts' | 'goes on' | 'settles' | 'steady';

/** What `changes` state changes within the window mean for a problem that is (or is not) flapping. */
export function flapDecision(changes: number, flapping: boolean, s: FlapSettings): FlapDecision {
  if (flapping) return changes < SETTLED_BELOW ? 'settles' : 'goes on';
  return s.threshold > 0 && changes > s.threshold ? 'starts' : 'steady';
}
