// The real agent against a real backend with tokens: it sends its token from a file, from
// FLEETMON_TOKEN or from its --server URL (never logging it), and a token the backend refuses
// costs no sample: they wait in the spool until the agent has a valid one.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addTokenWithCli, cleanUpAfterEach, queryDb, selfSignedCertificate, spawnBackend, startTestBackend, tempDir } from '../../backend/test/helpers.js';
import { type AgentProcess, runAgent, spawnAgent, waitFor } from './processes.js';

const t = cleanUpAfterEach();

const samplesOf = (db: string, device: string) =>
  existsSync(db) ? queryDb<{ sample_id: string }>(db, 'select sample_id from samples where device_id = ? order by id', device).map((r) => r.sample_id) : [];

/** A backend with an admin token (so writes need one) and an agent token for `device`. */
async function backendWithToken(device: string) {
  t.dir = tempDir();
  const db = join(t.dir.path, 'monitor.sqlite');
  await addTokenWithCli(db, '--role', 'admin');
  const token = await addTokenWithCli(db, '--role', 'agent', '--agent', device);
  t.backend = await spawnBackend(['--db', db]);
  return { db, token, url: t.backend.url };
}

describe('fleetmon-agent with a token', () => {
  it('sends its token from --token-file and from FLEETMON_TOKEN; without one the backend refuses it', async () => {
    const { db, token, url } = await backendWithToken('web-1');
    const tokenFile = join(t.dir!.path, 'agent.token');
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    // A short interval makes --once's first measuring window short too.
    const once = ['--once', '--interval', '0.1s', '--server', url, '--agent-id', 'web-1'];

    expect(await runAgent([...once, '--token-file', tokenFile])).toMatchObject({ code: 0 });
    // As systemd gives it: LoadCredential= copies the file, FLEETMON_TOKEN_FILE names the copy.
    expect(await runAgent(once, { env: { FLEETMON_TOKEN_FILE: tokenFile } })).toMatchObject({ code: 0 });
    expect(await runAgent(once, { env: { FLEETMON_TOKEN: token } })).toMatchObject({ code: 0 });
    expect(samplesOf(db, 'web-1')).toHaveLength(3);

    const without = await runAgent(once);
    expect(without.code).toBe(1);
    expect(without.output).toContain('the backend refused the token (HTTP 401)');
    const spoofing = await runAgent([...once, '--agent-id', 'web-2'], { env: { FLEETMON_TOKEN: token } });
    expect(spoofing.code).toBe(1);
    expect(spoofing.output).toMatch(/refused the token \(HTTP 403\).*is for agent 'web-1' and may not send samples for 'web-2'/);
    expect(samplesOf(db, 'web-2')).toEqual([]);
  });

  it("sends --server URL credentials as the original agent does (HTTP Basic), and never logs them", async () => {
    const { db, token, url } = await backendWithToken('web-1');
    const withCredentials = url.replace('http://', `http://web-1:${token}@`);
    const agent = await runAgent(['--once', '--interval', '0.1s', '--server', withCredentials, '--agent-id', 'web-1']);
    expect(agent.code, agent.output).toBe(0);
    expect(agent.output).toContain(`sample accepted by ${url}/`);
    expect(agent.output).not.toContain(token);
    expect(samplesOf(db, 'web-1')).toHaveLength(1);
  });

  it('keeps every sample while the backend refuses its token, and delivers them all once it has a valid one', async () => {
    const { db, token, url } = await backendWithToken('web-1');
    const spoolDir = join(t.dir!.path, 'spool');
    const spooled = () => (existsSync(spoolDir) ? readdirSync(spoolDir).filter((f) => f.endsWith('.json')) : []);
    const args = ['--server', url, '--agent-id', 'web-1', '--interval', '0.5s', '--retry-max', '1s', '--spool-dir', spoolDir];
    const run = (env: NodeJS.ProcessEnv): AgentProcess => spawnAgent(args, { env });

    // A token the backend does not know (a typo, or one revoked): every send is refused.
    const wrong = `${token.slice(0, 13)}${'x'.repeat(43)}`;
    const refused = run({ FLEETMON_TOKEN: wrong });
    try {
      await waitFor('4 samples kept in the spool', () => spooled().length >= 4);
    } finally {
      expect(await refused.stop('SIGTERM')).toBe(0);
    }
    const kept = spooled();
    expect(samplesOf(db, 'web-1')).toEqual([]);
    // Said once, clearly, not at every retry; nothing dropped.
    expect(refused.output().match(/the backend refused the token \(HTTP 401\)/g)).toHaveLength(1);
    expect(refused.output()).toContain('keeping samples in the spool');
    expect(refused.output()).not.toMatch(/dropping/);

    const fixed = run({ FLEETMON_TOKEN: token });
    try {
      await waitFor('the kept samples delivered', () => spooled().length === 0 && samplesOf(db, 'web-1').length > kept.length);
    } finally {
      expect(await fixed.stop('SIGTERM')).toBe(0);
    }
    const stored = new Set(samplesOf(db, 'web-1'));
    for (const file of kept) expect(stored.has(file.replace(/^\d+-/, '').replace(/\.json$/, ''))).toBe(true);
  });

  it('trusts a backend certificate given in NODE_EXTRA_CA_CERTS (HTTPS without a public CA)', async () => {
    t.dir = tempDir();
    const { cert, key } = selfSignedCertificate(t.dir.path);
    const db = join(t.dir.path, 'tls.sqlite');
    const backend = await startTestBackend(db, {}, { tls: { certFile: cert, keyFile: key } });
    try {
      const untrusted = await runAgent(['--once', '--interval', '0.1s', '--server', backend.url, '--timeout', '2s']);
      expect(untrusted.code).toBe(1);
      const agent = await runAgent(['--once', '--interval', '0.1s', '--server', backend.url, '--agent-id', 'tls-host'], { env: { NODE_EXTRA_CA_CERTS: cert } });
      expect(agent.code, agent.output).toBe(0);
      expect(samplesOf(db, 'tls-host')).toHaveLength(1);
    } finally {
      await backend.close();
    }
  });

  it.each<[{ args?: string[]; env?: NodeJS.ProcessEnv }, RegExp]>([
    [{ args: ['--token-file', '/nonexistent/agent.token'] }, /--token-file \/nonexistent\/agent.token: cannot read it \(ENOENT\)/],
    [{ args: ['--token-file', '/dev/null'] }, /--token-file \/dev\/null is empty/],
    [{ env: { FLEETMON_TOKEN: 'two words' } }, /FLEETMON_TOKEN does not hold a token/],
    [{ args: ['--token-file', '/etc/hostname'], env: { FLEETMON_TOKEN: 'fmt_x' } }, /the token is given twice, by --token-file \(FLEETMON_TOKEN_FILE\) and FLEETMON_TOKEN: keep one/],
    [{ args: ['--server', 'http://web-1:secret@127.0.0.1:9'], env: { FLEETMON_TOKEN: 'fmt_x' } }, /given twice, by FLEETMON_TOKEN and credentials in --server/],
  ])('refuses a token it cannot use (%j), naming where it came from', async ({ args = [], env = {} }, message) => {
    const { code, output } = await runAgent(['--server', 'http://127.0.0.1:9', '--once', ...args], { env: { FLEETMON_TOKEN: '', FLEETMON_TOKEN_FILE: '', ...env } });
    expect(code).toBe(1);
    expect(output).toMatch(message);
    expect(output).not.toContain('secret');
  });
});
