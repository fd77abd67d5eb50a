// A bad day for the backend: another writer holds the database's lock, the disk is full, a client
// sends its request a byte at a time. Each gets an answer that says what happened, nothing is
// half-written, and the server keeps serving.
import { connect } from 'node:net';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { backendForEachTest, postJson, queryDb, request, startTestBackend } from './helpers.js';
import { healthyExample, originalExample } from './payloads.js';

const t = backendForEachTest();

const sampleCount = () => queryDb<{ n: number }>(t.dbPath, 'select count(*) as n from samples')[0]!.n;

/** A second connection that takes the write lock, as `sqlite3 monitor.sqlite` with BEGIN IMMEDIATE would. */
function holdWriteLock(dbPath: string): { release: () => void } {
  const other = new SQLite(dbPath);
  other.exec('begin immediate');
  return {
    release: () => {
      other.exec('commit');
      other.close();
    },
  };
}

describe('another writer holding the database lock', () => {
  it('makes a sample wait, without stopping the server from answering others, and stores it once released', async () => {
    const lock = holdWriteLock(t.dbPath);
    const posted = postJson(`${t.backend.url}/metrics`, originalExample);
    // The event loop is free while the sample waits: reads are answered meanwhile.
    expect((await request(`${t.backend.url}/health`)).status).toBe(200);
    expect((await request(`${t.backend.url}/metrics`)).status).toBe(200);
    lock.release();
    expect(await posted).toMatchObject({ status: 200, body: { ok: true } });
    expect(sampleCount()).toBe(1);
  });

  it('answers 503 with Retry-After past --lock-timeout, writes nothing, and works once the lock is gone', async () => {
    await t.backend.close();
    t.backend = await startTestBackend(t.dbPath, { now: t.now }, { lockTimeoutMs: 300 });
    const lock = holdWriteLock(t.dbPath);
    const answer = await postJson<{ error: string }>(`${t.backend.url}/metrics`, originalExample);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(answer.body.error).toMatch(/locked by another writer/);
    const deleted = await request<{ error: string }>(`${t.backend.url}/devices/demo-agent`, { method: 'DELETE' });
    expect(deleted.status).toBe(503);
    lock.release();
    expect(sampleCount()).toBe(0);
    expect((await postJson(`${t.backend.url}/metrics`, originalExample)).status).toBe(200);
    expect(sampleCount()).toBe(1);
  });
});

describe('a full disk', () => {
  it('answers 507 saying so, reports it in /health, and recovers without a restart', async () => {
    const big = (i: number) => ({ ...healthyExample, sample_id: `s${i}`, notes: 'x'.repeat(200_000) });
    expect((await postJson(`${t.backend.url}/metrics`, big(0))).status).toBe(200);
    // SQLite's size cap stands in for the disk: past it, SQLite fails exactly as on ENOSPC (SQLITE_FULL).
    const sqlite = t.backend.database.sqlite;
    sqlite.pragma(`max_page_count = ${Number(sqlite.pragma('page_count', { simple: true }))}`);
    const full = await postJson<{ error: string }>(`${t.backend.url}/metrics`, big(1));
    expect(full.status).toBe(507);
    expect(full.body.error).toMatch(/disk is full/);
    expect((await request(`${t.backend.url}/health`)).body).toMatchObject({ status: 'degraded', reason: expect.stringMatching(/database cannot grow/) });
    expect(sampleCount()).toBe(1);
    expect(queryDb(t.dbPath, 'pragma integrity_check')).toEqual([{ integrity_check: 'ok' }]);

    sqlite.pragma('max_page_count = 1073741823');
    expect((await postJson(`${t.backend.url}/metrics`, big(1))).status).toBe(200);
    expect((await request(`${t.backend.url}/health`)).body).toMatchObject({ status: 'ok' });
    expect(sampleCount()).toBe(2);
  });
});

describe('a slow client', () => {
  it('is cut off after --header-timeout instead of holding a connection for minutes', async () => {
    await t.backend.close();
    t.backend = await startTestBackend(t.dbPath, { now: t.now }, { headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    const { hostname, port } = new URL(t.backend.url);
    const socket = connect(Number(port), hostname);
    let answer = '';
    socket.on('data', (d) => (answer += String(d)));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // Half a request line, then nothing more: Node's own default would wait 300 s.
    socket.write('POST /metrics HTTP/1.1\r\nHost: x\r\n');
    await closed;
    expect(answer).toMatch(/^HTTP\/1.1 408/);
    expect((await request(`${t.backend.url}/health`)).status).toBe(200);
  });
});
