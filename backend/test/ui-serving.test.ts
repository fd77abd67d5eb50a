// The dashboard's files under /ui/ and the browser's landing on GET /, over real HTTP.
import { mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningBackend } from '../server.js';
import { repoRoot, startTestBackend, tempDir } from './helpers.js';

let backend: RunningBackend | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await backend?.close();
  await dir?.remove();
  backend = undefined;
});

async function withUi(files: Record<string, string>): Promise<string> {
  dir = tempDir();
  const ui = join(dir.path, 'ui');
  mkdirSync(ui);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(ui, name), text);
  backend = await startTestBackend(join(dir.path, 'monitor.sqlite'), { uiDir: ui });
  return backend.url;
}

const noRedirect = { redirect: 'manual' } as const;

describe('the dashboard under /ui/', () => {
  it('GET / sends a browser to /ui/ and answers API clients as the original', async () => {
    const url = await withUi({ 'index.html': '<!doctype html>' });
    const browser = await fetch(`${url}/`, { ...noRedirect, headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('/ui/');
    expect(browser.headers.get('vary')).toContain('Accept');

    for (const accept of ['*/*', 'application/json', undefined]) {
      const api = await fetch(`${url}/`, { ...noRedirect, headers: accept ? { Accept: accept } : {} });
      expect(api.status).toBe(200);
      expect(await api.json()).toEqual({ msg: 'Backend is running' });
    }
  });

  it('serves index.html for revalidation every time and hashed assets as immutable, gzipped', async () => {
    const js = `console.log(${JSON.stringify('x'.repeat(5000))});`;
    const url = await withUi({ 'index.html': '<!doctype html><script src="/ui/main-ABCD1234.js"></script>', 'main-ABCD1234.js': js, 'main-ABCD1234.css': 'body{}' });

    const index = await fetch(`${url}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const etag = index.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    // As a browser revalidates (fetch() would add Cache-Control: no-cache to a conditional request).
    const again = await new Promise<number | undefined>((done, fail) =>
      get(`${url}/ui/`, { headers: { 'If-None-Match': etag } }, (res) => {
        res.resume();
        done(res.statusCode);
      }).on('error', fail),
    );
    expect(again).toBe(304);

    const asset = await fetch(`${url}/ui/main-ABCD1234.js`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(await asset.text()).toBe(js);
    expect((await fetch(`${url}/ui/main-ABCD1234.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');

    const bare = await fetch(`${url}/ui`, noRedirect);
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe('/ui/');
  });

  it('answers 404 for anything not built, and never reads a path from the URL', async () => {
    const url = await withUi({ 'index.html': '<!doctype html>' });
    for (const path of ['/ui/nope.js', '/ui/..%2F..%2Fpackage.json', '/ui/%2e%2e%2fmonitor.sqlite']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(404);
    }
  });

  it('says how to build the dashboard when it is not built', async () => {
    dir = tempDir();
    backend = await startTestBackend(join(dir.path, 'monitor.sqlite'), { uiDir: join(dir.path, 'missing') });
    const res = await fetch(`${backend.url}/ui/`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/npm run build/);
  });

  it('serves the real build (dist/ui, from npm run build): index.html names assets it serves', async () => {
    dir = tempDir();
    backend = await startTestBackend(join(dir.path, 'monitor.sqlite'), { uiDir: join(repoRoot, 'dist/ui') });
    const html = await (await fetch(`${backend.url}/ui/`)).text();
    const assets = [...html.matchAll(/\/ui\/(main-[A-Z0-9]{8}\.(?:js|css))/g)].map((m) => m[1]);
    expect(assets).toHaveLength(2);
    for (const name of assets) {
      const res = await fetch(`${backend.url}/ui/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
      // Nothing from another host: the dashboard works air-gapped.
      expect(await res.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i);
    }
  });
});
