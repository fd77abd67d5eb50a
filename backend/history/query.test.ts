import { describe, expect, it } from 'vitest';
import { RequestError } from '../errors.js';
import { parseTime } from '../time-text.js';
import { HistoryPoints, MAX_POINTS, bucketCount, chooseStep, minimumStep, parseHistoryRequest, planSources } from './query.js';

const now = 1_700_000_000;
const day = 86400;

describe('parseTime', () => {
  it('reads Unix seconds and ISO 8601, UTC unless an offset is given', () => {
    expect(parseTime('1700000000')).toBe(1_700_000_000);
    expect(parseTime('1700000000.5')).toBe(1_700_000_000.5);
    expect(parseTime('2023-11-14T22:13:20Z')).toBe(1_700_000_000);
    expect(parseTime('2023-11-14T22:13:20')).toBe(1_700_000_000);
    expect(parseTime('2023-11-14T23:13:20+01:00')).toBe(1_700_000_000);
    expect(parseTime('2023-11-14t21:13:20-0100')).toBe(1_700_000_000);
    expect(parseTime('2023-11-14 22:13:20.5z')).toBe(1_700_000_000.5);
    expect(parseTime('2023-11-14T22:13Z')).toBe(1_700_000_000 - 20);
    expect(parseTime('2023-11-14')).toBe(Date.UTC(2023, 10, 14) / 1000);
    expect(parseTime('yesterday')).toBeUndefined();
    expect(parseTime('2023-13-45T99:00Z')).toBeUndefined();
    expect(parseTime('')).toBeUndefined();
    expect(parseTime('9'.repeat(400))).toBeUndefined();
    expect(parseTime(`-${'9'.repeat(400)}`)).toBeUndefined();
  });
});

describe('steps', () => {
  it('picks the smallest nice step that gives at most MAX_POINTS points', () => {
    expect(minimumStep(now - day, now)).toBe(300);
    expect(minimumStep(now - 7 * day, now)).toBe(1800);
    expect(minimumStep(now - 3600, now)).toBe(10);
    expect(minimumStep(now - 60 * day, now)).toBe(10800);
    expect(minimumStep(now - 3 * 365 * day, now) % day).toBe(0);
    for (const span of [1, 59, 3600, 86399, 7 * day, 400 * day, 3000 * day]) {
      expect(bucketCount(now - span, now, minimumStep(now - span, now))).toBeLessThanOrEqual(MAX_POINTS);
    }
  });

  it('keeps a requested step that fits, raises one that does not, and fits 5-minute rollups in it', () => {
    expect(chooseStep(now - day, now, 600)).toBe(600);
    expect(chooseStep(now - day, now, 10)).toBe(300);
    expect(chooseStep(now - 3600, now, 7.5)).toBe(8);
    expect(chooseStep(now - day, now, 400)).toBe(600);
    expect(chooseStep(now - 7 * day, now, 60)).toBe(1800);
    expect(chooseStep(now - day, now, undefined)).toBe(300);
  });
});

describe('parseHistoryRequest', () => {
  it('defaults to the last 24 hours', () => {
    expect(parseHistoryRequest({}, now)).toEqual({ from: now - day, to: now, step: 300, fields: undefined });
    expect(parseHistoryRequest({ from: String(now - 3600) }, now)).toMatchObject({ from: now - 3600, to: now, step: 10 });
    expect(parseHistoryRequest({ to: String(now - day) }, now)).toMatchObject({ from: now - 2 * day, to: now - day });
  });

  it('takes durations for the step and a list of fields', () => {
    expect(parseHistoryRequest({ step: '15m', fields: 'cpu, disk:/' }, now)).toMatchObject({ step: 900, fields: ['cpu', 'disk:/'] });
  });

  function problems(query: Record<string, string | string[]>): unknown {
    try {
      parseHistoryRequest(query, now);
    } catch (err) {
      if (err instanceof RequestError) return { status: err.status, details: err.details };
      throw err;
    }
    throw new Error('no error');
  }

  it('names every bad parameter', () => {
    expect(problems({ from: 'soon', to: '2023-02-30T00:00Z', step: 'often', fields: 'cpu,load' })).toEqual({
      status: 400,
      details: [
        { field: 'from', message: expect.stringContaining("Unix seconds or an ISO 8601 time such as 2025-08-15T12:00:00Z, got 'soon'") },
        { field: 'to', message: expect.stringContaining('ISO 8601') },
        { field: 'step', message: expect.stringContaining("got 'often'") },
        { field: 'fields', message: expect.stringContaining("got 'load'") },
      ],
    });
    expect(problems({ step: '0' })).toMatchObject({ details: [{ field: 'step' }] });
    expect(problems({ fields: '' })).toMatchObject({ details: [{ field: 'fields' }] });
    expect(problems({ from: ['1', '2'] })).toMatchObject({ details: [{ field: 'from', message: 'must be given once' }] });
  });

  it('refuses a range that ends before it starts', () => {
    expect(problems({ from: String(now), to: String(now - 1) })).toMatchObject({ details: [{ field: 'from', message: expect.stringContaining('before to') }] });
    expect(problems({ from: String(now), to: String(now) })).toMatchObject({ status: 400 });
  });
});

describe('planSources', () => {
  const hour = 3600;
  // Raw kept from P, 5-minute rollups [R5, W5), hourly [R60, W60).
  const marks = {
    samplesPurgedUntil: now - 30 * day,
    rollup300Until: now - 600,
    rollup300PurgedUntil: now - 90 * day,
    rollup3600Until: now - 2 * hour,
    rollup3600PurgedUntil: now - 365 * day,
  };
  const range = { from: now - 100 * day, to: now + 300 };

  it('prefers raw samples for small steps, then 5-minute rollups, then hourly', () => {
    expect(planSources(range, 60, marks)).toEqual([
      { source: 3600, from: now - 100 * day, to: now - 90 * day },
      { source: 300, from: now - 90 * day, to: now - 30 * day },
      { source: 'samples', from: now - 30 * day, to: now + 300 },
    ]);
  });

  it('prefers 5-minute rollups for 5-minute steps, with what is not rolled up yet from raw samples', () => {
    expect(planSources(range, 600, marks)).toEqual([
      { source: 3600, from: now - 100 * day, to: now - 90 * day },
      { source: 300, from: now - 90 * day, to: now - 600 },
      { source: 'samples', from: now - 600, to: now + 300 },
    ]);
  });

  it('prefers hourly rollups for hourly steps', () => {
    expect(planSources(range, 7200, marks)).toEqual([
      { source: 3600, from: now - 100 * day, to: now - 2 * hour },
      { source: 300, from: now - 2 * hour, to: now - 600 },
      { source: 'samples', from: now - 600, to: now + 300 },
    ]);
  });

  it('reads raw samples only on a database that has no rollups yet', () => {
    expect(planSources(range, 7200, {})).toEqual([{ source: 'samples', ...range }]);
  });

  it('takes raw samples over hourly rollups where 5-minute ones are gone but samples are not', () => {
    const longRaw = { ...marks, samplesPurgedUntil: now - 120 * day };
    expect(planSources(range, 600, longRaw)).toEqual([
      { source: 'samples', from: now - 100 * day, to: now - 90 * day },
      { source: 300, from: now - 90 * day, to: now - 600 },
      { source: 'samples', from: now - 600, to: now + 300 },
    ]);
  });
});

describe('HistoryPoints', () => {
  it('combines parts of a bucket count-weighted and lists points in time order', () => {
    const points = new HistoryPoints(600);
    points.add('cpu', 1300, 10 * 3, 20, 3); // avg 10 of 3 samples
    points.add('cpu', 1250, 40, 40, 1); // one sample of 40
    points.add('cpu', 610, 5, 5, 1);
    points.add('memory', 0, 1, 1, 1);
    expect(points.toJson()).toEqual({ cpu: [[600, 5, 5], [1200, 17.5, 40]], memory: [[0, 1, 1]] });
  });
});
