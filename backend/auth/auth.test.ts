import { describe, expect, it } from 'vitest';
import { parseCorsOrigins } from '../config.js';
import { isLoopbackHost } from './exposure.js';
import { presentedToken } from './middleware.js';
import { accessNeeded, rolesFor } from './roles.js';
import { formatToken, hashSecret, parseToken, secretMatches } from './tokens.js';

const token = formatToken({ id: '0a1b2c3d', secret: 'S'.repeat(42) + '-' });

describe('presentedToken', () => {
  const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
  it('takes a Bearer token, or the Basic password whatever the user name', () => {
    expect(presentedToken(`Bearer ${token}`)).toBe(token);
    expect(presentedToken(`bearer   ${token}`)).toBe(token);
    expect(presentedToken(basic(`web-1:${token}`))).toBe(token);
    expect(presentedToken(basic(`anyone:${token}`))).toBe(token);
    // curl -u TOKEN: puts it in the user name.
    expect(presentedToken(basic(`${token}:`))).toBe(token);
  });

  it('tells "nothing sent" (undefined) from "something that is no token" (empty)', () => {
    expect(presentedToken(undefined)).toBeUndefined();
    expect(presentedToken('')).toBeUndefined();
    expect(presentedToken('Digest username="x"')).toBe('');
    expect(presentedToken(basic('no-colon'))).toBe('');
  });
});

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

describe('accessNeeded', () => {
  it.each([
    ['GET', '/', 'open'],
    ['GET', '/health', 'open'],
    ['HEAD', '/health', 'open'],
    ['OPTIONS', '/metrics', 'open'],
    ['GET', '/metrics', 'read'],
    ['GET', '/Health', 'read'],
    ['POST', '/metrics', 'ingest'],
    ['POST', '/metrics/', 'admin'],
    ['DELETE', '/devices/web-1', 'admin'],
    ['POST', '/silences', 'admin'],
    ['PUT', '/metrics', 'admin'],
  ])('%s %s needs %s', (method, path, access) => {
    expect(accessNeeded(method, path)).toBe(access);
  });

  it('names the roles that grant each access', () => {
    expect(rolesFor('ingest')).toEqual(['agent', 'admin']);
    expect(rolesFor('read')).toEqual(['admin', 'read']);
    expect(rolesFor('admin')).toEqual(['admin']);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['monitor.lan', false],
    ['127.0.0.1.evil.example', false],
  ])('%s: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('parseCorsOrigins', () => {
  it("reads origins and '*', comma-separated, as browsers send them", () => {
    expect(parseCorsOrigins(undefined)).toEqual({ anyMayRead: false, listed: [] });
    expect(parseCorsOrigins('*')).toEqual({ anyMayRead: true, listed: [] });
    expect(parseCorsOrigins('https://Dash.Example, http://10.0.0.5:3000,*')).toEqual({ anyMayRead: true, listed: ['https://dash.example', 'http://10.0.0.5:3000'] });
    expect(parseCorsOrigins('https://dash.example:443')).toEqual({ anyMayRead: false, listed: ['https://dash.example'] });
  });

  it.each(['dash.example', 'https://dash.example/', 'https://dash.example/app', 'ftp://dash.example', 'null'])('refuses %s, saying what an origin is', (text) => {
    expect(() => parseCorsOrigins(text)).toThrow(/--cors-origin: '.*' is not an origin; give scheme, host and port only/);
  });
});
