import { describe, expect, it } from 'vitest';
import { formatToken, hashSecret, parseToken, secretMatches } from './tokens.js';

const token = formatToken({ id: '0a1b2c3d', secret: 'S'.repeat(42) + '-' });

describe('token strings', () => {
  it('parse into id and secret; anything else is not a token', () => {
    expect(parseToken(token)).toEqual({ id: '0a1b2c3d', secret: 'S'.repeat(42) + '-' });
    expect(parseToken(`${token}\n`)).toEqual(parseToken(token));
    for (const bad of ['', 'fmt_0a1b2c3d', `fmt_0A1B2C3D_${'S'.repeat(43)}`, `fmt_0a1b2c3d_${'S'.repeat(42)}`, `xyz_0a1b2c3d_${'S'.repeat(43)}`]) expect(parseToken(bad)).toBeUndefined();
  });

  it('match their stored hash only with the right secret', () => {
    const hash = hashSecret('right');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(secretMatches('right', hash)).toBe(true);
    expect(secretMatches('wrong', hash)).toBe(false);
    expect(secretMatches('right', 'abcd')).toBe(false);
  });
});
