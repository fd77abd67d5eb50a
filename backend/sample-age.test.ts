import { describe, expect, it } from 'vitest';
import { checkSampleAge } from './sample-age.js';

const thirtyDays = 30 * 86400;

describe('checkSampleAge', () => {
  it('accepts a sample without an age, a fresh one, and one exactly as old as the retention', () => {
    expect(checkSampleAge({}, thirtyDays)).toEqual([]);
    expect(checkSampleAge({ age_seconds: 0 }, thirtyDays)).toEqual([]);
    expect(checkSampleAge({ age_seconds: thirtyDays }, thirtyDays)).toEqual([]);
  });

  it('refuses a sample older than the retention, naming the limit in days and seconds', () => {
    expect(checkSampleAge({ age_seconds: 1e308 }, thirtyDays)).toEqual([
      {
        field: 'age_seconds',
        message: '1e+308 is older than the raw retention (30 d = 2592000 s); such a sample would be deleted at once',
      },
    ]);
    expect(checkSampleAge({ age_seconds: thirtyDays + 1 }, thirtyDays)).toHaveLength(1);
  });

  it('spells a retention that is not whole days in hours, else in seconds', () => {
    expect(checkSampleAge({ age_seconds: 7300 }, 7200)[0]?.message).toContain('(2 h = 7200 s)');
    expect(checkSampleAge({ age_seconds: 100 }, 90)[0]?.message).toContain('(90 s)');
  });
});
