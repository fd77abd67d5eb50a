// The real fleetmon-backend process: stopped with SIGTERM and started again on the same file,
// it neither forgets an open problem nor fires it twice, and recovery still fires.
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type BackendProcess, postJson, queryDb, request, spawnBackend, tempDir } from './helpers.js';
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
    expect(running.output()).toContain(`database ${db}`);
    expect(running.output()).toContain("no API tokens: the API is open, to this machine only (--host 127.0.0.1); 'fleetmon-backend token add' creates tokens");
    expect(await running.stop()).toBe(0);
  });

  it('takes its options from environment variables too', async () => {
    dir = tempDir();
    const db = join(dir.path, 'from-env.sqlite');
    running = await spawnBackend([], { FLEETMON_DB: db });
    expect(running.output()).toContain(`database ${db}`);
    expect((await request(`${running.url}/health`)).status).toBe(200);
  });

  it('on SIGTERM finishes a request already in flight, stores its sample, then exits 0', async () => {
    dir = tempDir();
    const db = join(dir.path, 'monitor.sqlite');
    running = await spawnBackend(['--db', db]);
    const { hostname, port } = new URL(running.url);
    const body = JSON.stringify(healthyExample);
    const socket = connect(Number(port), hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (d) => (answer += String(d)));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // Headers and half the body, then the signal, then the rest of the body.
    socket.write(`POST /metrics HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
    socket.write(body.slice(0, 40));
    await new Promise((r) => setTimeout(r, 200));
    const exited = running.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    socket.end(body.slice(40));
    await closed;
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    expect(answer).toContain('"ok":true');
    expect(await exited).toBe(0);
    expect(queryDb(db, 'select count(*) as n from samples')).toEqual([{ n: 1 }]);
  });
});
