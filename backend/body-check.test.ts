import { describe, expect, it } from 'vitest';
import { MAX_BODY_DEPTH, measureBody } from './body-check.js';

const nested = (levels: number): unknown => JSON.parse(`${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`);

describe('measureBody', () => {
  it('measures how deep objects and arrays nest', () => {
    expect(measureBody(5).depth).toBe(0);
    expect(measureBody({}).depth).toBe(1);
    expect(measureBody({ a: [1, { b: [] }], c: 'x' }).depth).toBe(4);
    expect(measureBody(nested(MAX_BODY_DEPTH)).depth).toBe(MAX_BODY_DEPTH);
    // One past the limit: the quick walk gives up there, and the full one counts.
    expect(measureBody(nested(MAX_BODY_DEPTH + 1)).depth).toBe(MAX_BODY_DEPTH + 1);
    expect(measureBody({ shallow: 1, deep: [nested(MAX_BODY_DEPTH + 5)] }).depth).toBe(MAX_BODY_DEPTH + 7);
  });

  it('walks a body nested a million levels deep without running out of stack', () => {
    const levels = 1_000_000;
    const deep = JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`) as unknown;
    expect(measureBody(deep)).toEqual({ depth: levels, nonFinite: [] });
  });

  it('names every number that is not finite by its path, in unknown fields too', () => {
    const body = JSON.parse('{"agent_id": "a", "extra": {"list": [1, 1e309, {"deep": -1e999}]}, "timestamp": 1e400, "ok": 1e308}') as unknown;
    expect(measureBody(body).nonFinite.map((p) => p.field).sort()).toEqual(['extra.list.1', 'extra.list.2.deep', 'timestamp']);
    expect(measureBody(body).nonFinite[0]?.message).toMatch(/not a finite number/);
    expect(measureBody(Number.POSITIVE_INFINITY).nonFinite).toEqual([{ field: '(body)', message: 'is not a finite number' }]);
  });

  it('finds nothing wrong with an ordinary payload', () => {
    expect(measureBody({ agent_id: 'a', cpu: { total_percent: 5 }, disks: [{ mountpoint: '/', percent: 1 }] })).toEqual({ depth: 3, nonFinite: [] });
  });
});
