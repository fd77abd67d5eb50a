import { describe, expect, it } from 'vitest';
import { MAX_LISTED_PROBLEMS, invalidRequest } from './errors.js';

const answerSize = (err: ReturnType<typeof invalidRequest>): number => JSON.stringify({ error: err.message, details: err.details }).length;

describe('invalidRequest', () => {
  it('lists every problem when there are few', () => {
    const err = invalidRequest('metrics payload', [
      { field: 'cpu.total_percent', message: 'must be between 0 and 100' },
      { field: 'memory.percent', message: 'expected number' },
    ]);
    expect(err.status).toBe(400);
    expect(err.message).toBe('invalid metrics payload: cpu.total_percent must be between 0 and 100; memory.percent expected number');
    expect(err.details).toHaveLength(2);
  });

  it('lists the first 50 of 60,000 problems and counts the rest, in the text and in details', () => {
    const problems = Array.from({ length: 60_000 }, (_, i) => ({ field: `critical_processes.p${i}`, message: 'expected boolean, received number' }));
    const err = invalidRequest('metrics payload', problems);
    expect(err.details).toHaveLength(MAX_LISTED_PROBLEMS + 1);
    expect(err.details?.[0]).toEqual(problems[0]);
    expect(err.details?.at(-1)).toEqual({ field: '(body)', message: '... and 59,950 more problems, not listed' });
    expect(err.message).toMatch(/^invalid metrics payload: critical_processes\.p0 expected boolean.*; \.\.\. and 59,950 more$/);
    expect(answerSize(err)).toBeLessThan(16 * 1024);
  });

  it('stays under 16 KB when names are long or cost six characters each in JSON', () => {
    for (const name of ['k'.repeat(100_000), '\u0000'.repeat(100_000)]) {
      const problems = Array.from({ length: 1000 }, (_, i) => ({ field: `${name}.${i}`, message: name }));
      const err = invalidRequest('metrics payload', problems);
      expect(answerSize(err)).toBeLessThan(16 * 1024);
      expect(err.details?.[0]?.field).toMatch(/…$/);
      expect(err.message).toMatch(/and [\d,]+ more$/);
    }
  });
});
