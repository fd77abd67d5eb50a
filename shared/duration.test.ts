import { describe, expect, it } from 'vitest';
import { DurationError, parseDurationSeconds } from './duration.js';

describe('parseDurationSeconds', () => {
  it.each([
    ['10s', 10],
    ['2m', 120],
    ['500ms', 0.5],
    ['1h', 3600],
    ['15', 15],
    ['0.25', 0.25],
    [' 30s ', 30],
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseDurationSeconds(text, '--interval')).toBe(seconds);
  });

  it.each(['soon', '', '-5s', '10 parsecs'])('rejects %j naming the option', (text) => {
    expect(() => parseDurationSeconds(text, '--interval')).toThrow(DurationError);
    expect(() => parseDurationSeconds(text, '--interval')).toThrow(/--interval must be a duration/);
  });
});
