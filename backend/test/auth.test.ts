// Authentication and browser safety, against a real backend over real HTTP: tokens bound to a
// device, roles, revocation from the real CLI while the backend runs, the original agent's URL
// credentials, and web pages of other origins that must not change anything.
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Role } from '../auth/roles.js';
import { createToken } from '../auth/tokens.js';
import type { Config } from '../config.js';
import type { RunningBackend } from '../server.js';
import { type HttpAnswer, addTokenWithCli, backendForEachTest, queryDb, request, runBackendCli, startTestBackend, tempDir } from './helpers.js';
import { healthyExample, originalExample, withAgent } from './payloads.js';

const t = backendForEachTest();

async function addToken(role: Role, agent?: string): Promise<string> {
  return (await createToken(t.backend.database.db, { role, deviceId: agent }, t.clock)).token;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function post(body: unknown, headers: Record<string, string> = {}, url = t.backend.url): Promise<HttpAnswer<{ error?: string }>> {
  return request(`${url}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

const samplesOf = (device: string) => queryDb<{ n: number }>(t.dbPath, 'select count(*) as n from samples where device_id = ?', device)[0]!.n;
const openAlertsOf = (device: string) => queryDb<{ n: number }>(t.dbPath, 'select count(*) as n from alert_state where device_id = ?', device)[0]!.n;

describe('tokens', () => {
  it('without any token the API stays open on loopback, as the original', async () => {
    expect((await post(originalExample)).status).toBe(200);
    // A header from a reverse proxy that authenticates is no reason to refuse an open API.
    expect((await post(healthyExample, { Authorization: 'Basic b3BzOnByb3h5LXBhc3N3b3Jk' })).status).toBe(200);
    expect((await request(`${t.backend.url}/devices/demo-agent`, { method: 'DELETE' })).status).toBe(200);
  });

  it('once a token exists, a write without one is 401 with WWW-Authenticate and how to get a token; nothing is stored', async () => {
    await addToken('admin');
    const answer = await post(originalExample);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="fleetmon", Basic realm="fleetmon"');
    expect(answer.body.error).toContain('fleetmon-backend token add --role agent --agent <agent_id>');
    expect(samplesOf('demo-agent')).toBe(0);
    const deleted = await request<{ error: string }>(`${t.backend.url}/devices/demo-agent`, { method: 'DELETE' });
    expect(deleted.status).toBe(401);
    expect(deleted.body.error).toContain('token add --role admin');
  });

  it("refuses a token for web-1 writing web-2 (403, naming both), storing nothing and leaving web-2's alerts open", async () => {
    await post(withAgent(originalExample, 'web-2'));
    expect(openAlertsOf('web-2')).toBe(12);
    const web1 = await addToken('agent', 'web-1');

    // The forged healthy sample that closed all 12 alerts of a device before.
    const forged = await post(withAgent(healthyExample, 'web-2'), bearer(web1));
    expect(forged.status).toBe(403);
    expect(forged.body.error).toMatch(/is for agent 'web-1' and may not send samples for 'web-2'/);
    expect(samplesOf('web-2')).toBe(1);
    expect(openAlertsOf('web-2')).toBe(12);
    // Nor through the original's fallback: no agent_id, the device name standing in.
    const { agent_id: _, ...anonymous } = withAgent(healthyExample, 'web-2');
    expect((await post({ ...anonymous, device: 'web-2' }, bearer(web1))).status).toBe(403);
    expect(openAlertsOf('web-2')).toBe(12);

    expect((await post(withAgent(healthyExample, 'web-1'), bearer(web1))).status).toBe(200);
    expect(samplesOf('web-1')).toBe(1);
  });

  it("accepts the original agent's URL credentials, http://<agent_id>:<token>@host: HTTP Basic as Python's requests sends it", async () => {
    const laptop = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/original-agent/laptop.json'), 'utf8')) as { agent_id: string };
    const token = await addToken('agent', laptop.agent_id);
    // requests.auth.HTTPBasicAuth: "Basic " + b64encode(f"{username}:{password}".encode("latin1")).
    const basic = `Basic ${Buffer.from(`${laptop.agent_id}:${token}`, 'latin1').toString('base64')}`;
    const answer = await request(`${t.backend.url}/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: basic }, body: JSON.stringify(laptop) });
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
    expect(samplesOf(laptop.agent_id)).toBe(1);
    // The user name is free: the token decides.
    const wrongPassword = `Basic ${Buffer.from(`${laptop.agent_id}:fmt_00000000_${'A'.repeat(43)}`).toString('base64')}`;
    expect((await post(laptop, { Authorization: wrongPassword })).status).toBe(401);
  });

  it('refuses a token revoked by the real CLI while the backend runs (401), and takes a new one at once', async () => {
    const cliToken = (...args: string[]) => addTokenWithCli(t.dbPath, ...args);
    // An admin token stays: revoking the last token would open the API again (on loopback).
    await addToken('admin');
    const token = await cliToken('--role', 'agent', '--agent', 'demo-agent', '--name', 'rack 3');
    expect((await post(healthyExample, bearer(token))).status).toBe(200);

    const id = token.slice(4, 12);
    expect(await runBackendCli(['token', 'revoke', id, '--db', t.dbPath])).toMatchObject({ code: 0, output: expect.stringContaining(`revoked token ${id}`) });
    const refused = await post(healthyExample, bearer(token));
    expect(refused.status).toBe(401);
    expect(refused.body.error).toContain(`token ${id} was revoked at`);
    expect(samplesOf('demo-agent')).toBe(1);

    // The list shows when it was made and revoked, never a secret.
    const listed = await runBackendCli(['token', 'list', '--db', t.dbPath]);
    expect(listed.output).toMatch(new RegExp(`^${id}\\s+agent\\s+demo-agent\\s+rack 3\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+\\d{4}-\\S+Z$`, 'm'));
    expect(listed.output).not.toContain(token.slice(13));

    const renewed = await cliToken('--role', 'agent', '--agent', 'demo-agent');
    expect((await post({ ...healthyExample, cpu: { total_percent: 13 } }, bearer(renewed))).status).toBe(200);
  });

  it('refuses the wrong role (403): a read token sending samples, an agent token deleting a device', async () => {
    await post(originalExample);
    const read = await addToken('read');
    const agent = await addToken('agent', 'demo-agent');
    const admin = await addToken('admin');

    const readPost = await post(healthyExample, bearer(read));
    expect(readPost.status).toBe(403);
    expect(readPost.body.error).toMatch(/has role read; this needs an agent or admin token/);
    const agentDelete = await request<{ error: string }>(`${t.backend.url}/devices/demo-agent`, { method: 'DELETE', headers: bearer(agent) });
    expect(agentDelete.status).toBe(403);
    expect(agentDelete.body.error).toMatch(/has role agent; this needs an admin token/);
    expect(openAlertsOf('demo-agent')).toBe(12);

    // Admin does everything, for any device.
    expect((await post(withAgent(healthyExample, 'other'), bearer(admin))).status).toBe(200);
    expect((await request(`${t.backend.url}/devices/demo-agent`, { method: 'DELETE', headers: bearer(admin) })).status).toBe(200);
  });

  it('refuses what is not a valid token (401): garbage, an unknown id, a wrong secret', async () => {
    const real = await addToken('agent', 'demo-agent');
    for (const presented of ['Bearer nonsense', `Bearer fmt_00000000_${'A'.repeat(43)}`, `Bearer ${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`, 'Digest x']) {
      const answer = await post(healthyExample, { Authorization: presented });
      expect(answer.status, presented).toBe(401);
    }
    expect(samplesOf('demo-agent')).toBe(0);
  });

  it('leaves reads open until a read token exists; then reads need read or admin, and / and /health stay open', async () => {
    const agent = await addToken('agent', 'demo-agent');
    await post(originalExample, bearer(agent));
    expect((await request(`${t.backend.url}/metrics`)).status).toBe(200);

    const read = await addToken('read');
    const admin = await addToken('admin');
    for (const path of ['/metrics', '/metrics/demo-agent', '/alerts', '/alerts/active', '/devices', '/devices/demo-agent', '/devices/demo-agent/history', '/history/demo-agent', '/rules']) {
      const anonymous = await request(`${t.backend.url}${path}`);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
      expect((await request(`${t.backend.url}${path}`, { headers: bearer(read) })).status, path).toBe(200);
      expect((await request(`${t.backend.url}${path}`, { headers: bearer(admin) })).status, path).toBe(200);
      expect((await request(`${t.backend.url}${path}`, { headers: bearer(agent) })).status, path).toBe(403);
    }
    expect((await request(`${t.backend.url}/metrics`, { method: 'HEAD' })).status).toBe(401);
    expect(await request(`${t.backend.url}/`)).toMatchObject({ status: 200, body: { msg: 'Backend is running' } });
    expect(await request(`${t.backend.url}/health`)).toMatchObject({ status: 200, body: { status: 'ok', devices_reporting: 1 } });
    // The dashboard's files load without a token (it then asks for one); its event stream takes the
    // token in the URL, which nothing else does.
    expect((await fetch(`${t.backend.url}/ui/`)).status).toBe(200);
    expect((await request(`${t.backend.url}/alerts?token=${read}`)).status).toBe(401);
    for (const [url, status] of [
      [`${t.backend.url}/events`, 401],
      [`${t.backend.url}/events?token=${read}`, 200],
    ] as const) {
      const stream = new AbortController();
      expect((await fetch(url, { signal: stream.signal })).status, url).toBe(status);
      stream.abort();
    }
    // The original agent could only put its token in the URL; a read token works the same way.
    const basic = { Authorization: `Basic ${Buffer.from(`dashboard:${read}`).toString('base64')}` };
    expect((await request(`${t.backend.url}/alerts`, { headers: basic })).status).toBe(200);
  });
});

describe('silences and the outbox once tokens exist', () => {
  it('need an admin token to change silences and a read token to list them or the outbox', async () => {
    const admin = await addToken('admin');
    const read = await addToken('read');
    const silence = { matchers: { device: 'db-*' }, duration: '1h', comment: 'maintenance', author: 'alice' };
    const create = (headers: Record<string, string>) =>
      request<{ id?: number; error?: string }>(`${t.backend.url}/silences`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(silence) });
    expect((await create({})).status).toBe(401);
    expect((await create(bearer(read))).status).toBe(403);
    const made = await create(bearer(admin));
    expect(made.status).toBe(201);
    expect((await request(`${t.backend.url}/silences/${made.body.id}`, { method: 'DELETE', headers: bearer(read) })).status).toBe(403);
    expect((await request(`${t.backend.url}/silences`)).status).toBe(401);
    expect((await request(`${t.backend.url}/silences`, { headers: bearer(read) })).status).toBe(200);
    expect((await request(`${t.backend.url}/notifications`, { headers: bearer(read) })).status).toBe(200);
    expect((await request(`${t.backend.url}/silences/${made.body.id}`, { method: 'DELETE', headers: bearer(admin) })).status).toBe(200);
  });
});

/** A request with headers fetch() will not send as given (Host). */
function rawRequest(url: string, method: string, headers: Record<string, string>, body = ''): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((done, reject) => {
    const req = httpRequest(url, { method, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('browsers', () => {
  const textPlain = (origin: string, url = t.backend.url) =>
    request<{ error: string }>(`${url}/metrics`, { method: 'POST', headers: { 'Content-Type': 'text/plain', Origin: origin }, body: JSON.stringify(healthyExample) });

  it('refuses a text/plain POST from a foreign origin (403), storing nothing and sending no CORS headers', async () => {
    await post(originalExample);
    const answer = await textPlain('http://evil.example');
    expect(answer.status).toBe(403);
    expect(answer.body.error).toContain('http://evil.example');
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(samplesOf('demo-agent')).toBe(1);
    expect(openAlertsOf('demo-agent')).toBe(12);
    // Origin "null": a sandboxed frame or a file:// page.
    expect((await textPlain('null')).status).toBe(403);
  });

  it('refuses a write a browser marks cross-site even without an Origin header', async () => {
    const answer = await request(`${t.backend.url}/devices/demo-agent`, { method: 'DELETE', headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(answer.status).toBe(403);
  });

  it('grants no preflight for DELETE to a foreign origin', async () => {
    const preflight = await fetch(`${t.backend.url}/devices/demo-agent`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'DELETE' },
    });
    for (const header of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers']) expect(preflight.headers.get(header)).toBeNull();
  });

  it("accepts a write from the backend's own origin, but not from a name rebound to 127.0.0.1", async () => {
    const own = new URL(t.backend.url);
    expect((await textPlain(own.origin)).status).toBe(200);
    // DNS rebinding: the page's own name now points here, so Origin and Host agree, but it is not ours.
    const rebound = `http://evil.example:${own.port}`;
    const answer = await rawRequest(`${t.backend.url}/metrics`, 'POST', { Host: `evil.example:${own.port}`, Origin: rebound, 'Content-Type': 'text/plain' }, JSON.stringify(healthyExample));
    expect(answer.status).toBe(403);
    expect(samplesOf('demo-agent')).toBe(1);
  });

  describe('with --cors-origin', () => {
    let backend: RunningBackend | undefined;
    let dir: ReturnType<typeof tempDir> | undefined;
    afterEach(async () => {
      await backend?.close();
      await dir?.remove();
    });
    async function startWith(cors: Config['cors']) {
      dir = tempDir();
      backend = await startTestBackend(join(dir.path, 'cors.sqlite'), {}, { cors });
      return backend.url;
    }

    it("'*' lets any page read, never write: no '*' on a write's preflight, and the write refused", async () => {
      const url = await startWith({ anyMayRead: true, listed: [] });
      const read = await request(`${url}/metrics`, { headers: { Origin: 'http://any.example' } });
      expect(read.headers.get('access-control-allow-origin')).toBe('*');
      const readPreflight = await fetch(`${url}/alerts`, { method: 'OPTIONS', headers: { Origin: 'http://any.example', 'Access-Control-Request-Method': 'GET' } });
      expect(readPreflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(readPreflight.headers.get('access-control-allow-methods')).toBe('GET,HEAD');
      for (const method of ['POST', 'DELETE']) {
        const preflight = await fetch(`${url}/metrics`, { method: 'OPTIONS', headers: { Origin: 'http://any.example', 'Access-Control-Request-Method': method } });
        expect(preflight.headers.get('access-control-allow-origin'), method).toBeNull();
      }
      const write = await textPlain('http://any.example', url);
      expect(write.status).toBe(403);
      expect(write.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('lets the pages of a listed origin read and write, answering with that origin, not *', async () => {
      const url = await startWith({ anyMayRead: false, listed: ['https://dash.example'] });
      const preflight = await fetch(`${url}/devices/demo-agent`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://dash.example', 'Access-Control-Request-Method': 'DELETE', 'Access-Control-Request-Headers': 'authorization' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://dash.example');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE');
      const write = await textPlain('https://dash.example', url);
      expect(write.status).toBe(200);
      expect(write.headers.get('access-control-allow-origin')).toBe('https://dash.example');
      expect(write.headers.get('vary')).toContain('Origin');
      expect((await textPlain('https://other.example', url)).status).toBe(403);
    });
  });
});
