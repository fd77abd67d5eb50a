// HTTPS with --tls-cert/--tls-key: a round trip with a certificate made for the test, and errors
// that name the option for files that cannot serve.
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTls } from '../tls.js';
import { queryDb, runBackendCli, selfSignedCertificate, startTestBackend, tempDir } from './helpers.js';
import { healthyExample } from './payloads.js';

let dir: ReturnType<typeof tempDir>;
let cert: string;
let key: string;

beforeAll(() => {
  dir = tempDir();
  ({ cert, key } = selfSignedCertificate(dir.path));
});
afterAll(async () => dir.remove());

function httpsJson(url: string, method: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((done, reject) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const req = httpsRequest(url, { method, ca: readFileSync(cert), headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let data = '';
      res.on('data', (chunk: Buffer) => (data += String(chunk)));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: JSON.parse(data) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

describe('TLS', () => {
  it('serves HTTPS with --tls-cert/--tls-key: a client trusting the certificate reads and writes', async () => {
    const db = join(dir.path, 'tls.sqlite');
    const backend = await startTestBackend(db, {}, { tls: { certFile: cert, keyFile: key } });
    try {
      expect(backend.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await httpsJson(`${backend.url}/health`, 'GET')).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(await httpsJson(`${backend.url}/metrics`, 'POST', healthyExample)).toMatchObject({ status: 200, body: { ok: true } });
      expect(queryDb(db, 'select device_id from samples')).toEqual([{ device_id: 'demo-agent' }]);
    } finally {
      await backend.close();
    }
  });

  it('refuses files that cannot serve, naming the option', () => {
    const other = selfSignedCertificate(dir.path, 'other');
    const notPem = join(dir.path, 'notes.txt');
    writeFileSync(notPem, 'not a certificate\n');
    expect(() => loadTls({ certFile: join(dir.path, 'missing.crt'), keyFile: key })).toThrow(/--tls-cert .*missing\.crt: cannot read it \(ENOENT\)/);
    expect(() => loadTls({ certFile: notPem, keyFile: key })).toThrow(/--tls-cert .*notes\.txt is not a usable PEM certificate/);
    expect(() => loadTls({ certFile: cert, keyFile: cert })).toThrow(/--tls-key .* is not a usable PEM private key/);
    expect(() => loadTls({ certFile: cert, keyFile: other.key })).toThrow(/--tls-key .*other\.key does not belong to the certificate in --tls-cert/);
  });

  it('takes both files or neither, saying which is missing', async () => {
    const { code, output } = await runBackendCli(['--db', join(dir.path, 'x.sqlite'), '--port', '0', '--tls-cert', cert]);
    expect(code).toBe(1);
    expect(output).toContain('--tls-cert needs --tls-key (FLEETMON_TLS_KEY)');
    expect(await runBackendCli(['--port', '0'], { FLEETMON_TLS_KEY: key })).toMatchObject({ code: 1, output: expect.stringContaining('--tls-key needs --tls-cert') });
  });
});
