// The real fleetmon-backend process: stopped with SIGTERM and started again on the same file,
// it neither forgets an open problem nor fires it twice, and recovery still fires.
import { connect } from 'node:net';
import { Agent, get as httpGet } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BackendProcess, postJson, queryDb, request, shownDatabase, spawnBackend, tempDir } from './helpers.js';
import { healthyExample, originalAlertTexts, originalExample } from './payloads.js';

let dir: ReturnType<typeof tempDir> | undefined;
let running: BackendProcess | undefined;

afterEach(async () => {
  if (running?.child.exitCode === null) await running.stop('SIGKILL');
  running = undefined;
  await dir?.remove();
});

describe('fleetmon-backend across a restart', () => {
  it('keeps alert state: no re-fire after restart, recovery still fires', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');

    running = await spawnBackend(['--db', db]);
    expect((await postJson(`${running.url}/metrics`, originalExample)).body).toEqual(expect.objectContaining({ ok: true }));
    expect(await running.stop('SIGTERM')).toBe(0);
    expect(running.output()).toMatch(/SIGTERM received/);

    running = await spawnBackend(['--db', db]);
    await postJson(`${running.url}/metrics`, originalExample);
    expect(queryDb(db, 'select count(*) as n from alerts')).toEqual([{ n: 12 }]);
    expect((await request<{ total_alerts: number }>(`${running.url}/health`)).body.total_alerts).toBe(12);

    await postJson(`${running.url}/metrics`, healthyExample);
    const recovered = queryDb<{ alert: string }>(db, "select alert from alerts where kind = 'recovered' order by id");
    expect(recovered.map((r) => r.alert)).toEqual(originalAlertTexts.map((t) => `${t} - recovered`));
    expect(queryDb(db, 'select count(*) as n from samples')).toEqual([{ n: 3 }]);
    expect(await running.stop('SIGINT')).toBe(0);
  });

  it('logs its database and address on start, and that without tokens the API is open to this machine only', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    running = await spawnBackend(['--db', db]);
    expect(running.output()).toContain(`database ${shownDatabase(db)}`);
    expect(running.output()).toContain("no API tokens: the API is open, to this machine only (--host 127.0.0.1); 'fleetmon-backend token add' creates tokens");
    expect(await running.stop()).toBe(0);
  });

  it('takes its options from environment variables too', async () => {
    dir = tempDir();
    const db = join(dir.path, 'from-env.sqlite');
    running = await spawnBackend([], { FLEETMON_DB: db });
    expect(running.output()).toContain(`database ${shownDatabase(db)}`);
    expect((await request(`${running.url}/health`)).status).toBe(200);
  });

  it('on SIGTERM finishes a request already in flight, answers it with Connection: close, stores its sample, then exits 0', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    running = await spawnBackend(['--db', db]);
    const { hostname, port } = new URL(running.url);
    const body = JSON.stringify(healthyExample);
    const socket = connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    const continued = new Promise<void>((resolve) => socket.on('data', (d) => (answer += String(d)) && answer.includes('100 Continue') && resolve()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // Headers (the server's "100 Continue" says it has read them), the signal, then the body.
    socket.write(`POST /metrics HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
    await continued;
    const exited = running.stop('SIGTERM');
    await running.waitForOutput(/SIGTERM received/);
    // Not end(): a client that half-closes its side gets its request aborted by Node (no allowHalfOpen)
    // before a response that needs a database round trip is written; the server closes after answering.
    socket.write(body);
    await closed;
    expect(answer).toMatch(/HTTP\/1.1 200/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toContain('"ok":true');
    expect(await exited).toBe(0);
    expect(queryDb(db, 'select count(*) as n from samples')).toEqual([{ n: 1 }]);
  });

  it('on SIGTERM closes idle keep-alive connections at once instead of waiting out the grace period', async () => {
    dir = tempDir();
    running = await spawnBackend(['--db', join(dir.path, 'monitor.sqlite')]);
    const agent = new Agent({ keepAlive: true });
    // Wrapped in an object: a promise resolved with a promise would wait for the socket to close.
    const { socketClosed } = await new Promise<{ socketClosed: Promise<unknown> }>((resolve, reject) => {
      const req = httpGet(`${running!.url}/health`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ socketClosed: new Promise((done) => req.socket?.once('close', done)) }));
      });
      req.on('error', reject);
    });
    const started = Date.now();
    const exited = running.stop('SIGTERM');
    await socketClosed;
    expect(await exited).toBe(0);
    // The grace period for requests in flight is 10 s; an idle connection must not wait for it.
    expect(Date.now() - started).toBeLessThan(5000);
    agent.destroy();
  });
});
