// Durations as people write them in options and config files: "10s", "2m", "500ms", "1h", or a
// plain number of seconds.
import ms from 'ms';

export class DurationError extends Error {}

/** Parse a duration into seconds; `what` names the option in the error message. */
export function parseDurationSeconds(text: string | number, what: string): number {
  const trimmed = String(text).trim();
  let seconds = Number.NaN;
  try {
    seconds = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : ms(trimmed as ms.StringValue) / 1000;
  } catch {
    // ms throws on an empty string; reported below like any other unreadable duration.
  }
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new DurationError(`${what} must be a duration such as 10s, 2m, 500ms or a number of seconds, got '${text}'`);
  }
  return seconds;
}
