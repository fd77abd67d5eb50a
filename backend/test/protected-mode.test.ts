// Protected mode, with the real CLI: without tokens the API is open only on loopback; beyond it the
// backend refuses to start unless --insecure-open, which it then says in its log and in /health.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addTokenWithCli as addToken, cleanUpAfterEach, request, runBackendCli, spawnBackend, tempDir } from './helpers.js';
import { healthyExample } from './payloads.js';

const t = cleanUpAfterEach();

/** The backend listens on 0.0.0.0; talk to it through loopback. */
const loopbackUrl = (url: string) => url.replace('0.0.0.0', '127.0.0.1');

const postSample = (url: string, headers: Record<string, string> = {}) =>
  request<{ error?: string }>(`${url}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(healthyExample) });

describe('protected mode', () => {
  it('refuses to start on 0.0.0.0 without tokens, naming both ways out', async () => {
    t.dir = tempDir();
    const db = join(t.dir.path, 'monitor.sqlite');
    for (const env of [{}, { FLEETMON_INSECURE_OPEN: '0' }]) {
      const { code, output } = await runBackendCli(['--db', db, '--host', '0.0.0.0', '--port', '0'], env);
      expect(code).toBe(1);
      expect(output).toContain('refusing to listen on 0.0.0.0 with an open API');
      expect(output).toContain('fleetmon-backend token add --role admin');
      expect(output).toContain('--insecure-open (FLEETMON_INSECURE_OPEN=1)');
      expect(output).not.toContain('listening');
      expect(output).not.toMatch(/\n\s+at /);
    }
  });

  it('starts open with --insecure-open, warning in its log and in /health until a token exists', async () => {
    t.dir = tempDir();
    const db = join(t.dir.path, 'monitor.sqlite');
    t.backend = await spawnBackend(['--db', db, '--host', '0.0.0.0', '--insecure-open']);
    const url = loopbackUrl(t.backend.url);
    expect(t.backend.output()).toContain('warning: open API on 0.0.0.0 without tokens (--insecure-open)');
    const health = await request<Record<string, unknown>>(`${url}/health`);
    expect(health.body).toMatchObject({ status: 'ok', devices_reporting: 0, total_alerts: 0, warnings: ['open API on 0.0.0.0 without tokens (--insecure-open)'] });
    expect((await postSample(url)).status).toBe(200);

    // Tokens added while it runs apply at once, and the warning goes.
    const token = await addToken(db, '--role', 'agent', '--agent', 'demo-agent');
    expect((await request<Record<string, unknown>>(`${url}/health`)).body).not.toHaveProperty('warnings');
    expect((await postSample(url)).status).toBe(401);
    expect((await postSample(url, { Authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('starts on 0.0.0.0 once tokens exist, and refuses writes rather than opening when the last one is revoked', async () => {
    t.dir = tempDir();
    const db = join(t.dir.path, 'monitor.sqlite');
    const token = await addToken(db, '--role', 'agent', '--agent', 'demo-agent');
    t.backend = await spawnBackend(['--db', db, '--host', '0.0.0.0'], { FLEETMON_INSECURE_OPEN: '' });
    const url = loopbackUrl(t.backend.url);
    expect(t.backend.output()).toContain('API tokens in use: writes need a token');
    expect((await postSample(url, { Authorization: `Bearer ${token}` })).status).toBe(200);

    const revoked = await runBackendCli(['token', 'revoke', token.slice(4, 12), '--db', db]);
    expect(revoked.output).toContain('no valid token is left');
    const refused = await postSample(url);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toContain('no valid token exists, and this backend listens beyond loopback without --insecure-open');
    expect((await request(`${url}/health`)).body).not.toHaveProperty('warnings');
  });
});
