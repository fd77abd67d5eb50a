import { expect, it } from 'vitest';
import { DEFAULT_FLAP, flapDecision } from './flapping.js';

it('more than flap_threshold changes in the window start flapping; fewer than 3 settle it', () => {
  expect(flapDecision(6, false, DEFAULT_FLAP)).toBe('steady');
  expect(flapDecision(7, false, DEFAULT_FLAP)).toBe('starts');
  expect(flapDecision(7, true, DEFAULT_FLAP)).toBe('goes on');
  expect(flapDecision(3, true, DEFAULT_FLAP)).toBe('goes on');
  expect(flapDecision(2, true, DEFAULT_FLAP)).toBe('settles');
  expect(flapDecision(0, true, DEFAULT_FLAP)).toBe('settles');
});

it('flap_threshold 0 turns detection off', () => {
  expect(flapDecision(100, false, { windowSeconds: 3600, threshold: 0 })).toBe('steady');
});
