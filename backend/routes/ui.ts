// The web dashboard: the files esbuild built into dist/ui/ (npm run build), served under /ui/.
// A tiny route rather than koa-static: the set of files is fixed at build time, so it is read once
// at start into memory (no path from the URL ever reaches the filesystem), and the caching rule is
// ours: hashed asset names are immutable for a year, index.html is revalidated every time.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type Router from '@koa/router';
import type { Context } from 'koa';

interface UiFile {
  body: Buffer;
  gzipped: Buffer | null;
  type: string;
  etag: string;
  cacheControl: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** esbuild's `[name]-[hash]` entry names: the content decides the name, so it never changes. */
const HASHED = /-[A-Z0-9]{8}\.\w+$/;

/** dist/ui beside the compiled backend (dist/backend/routes), or dist/ui of the checkout when run from source (tests). */
export function defaultUiDir(): string {
  const here = import.meta.dirname;
  const root = resolve(here, '../..');
  return basename(root) === 'dist' ? join(root, 'ui') : join(root, 'dist', 'ui');
}

export function loadUiFiles(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    const gzipped = /^text\/|json|svg/.test(type) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
    files.set(name, {
      body,
      gzipped,
      type,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`,
      cacheControl: HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }
  return files;
}

export function registerUiRoutes(router: Router, uiDir: string): void {
  const files = loadUiFiles(uiDir);
  const serve = (ctx: Context, name: string) => {
    const file = files.get(name);
    if (!file) {
      ctx.status = 404;
      ctx.body =
        files.size === 0
          ? { error: `the dashboard is not built: run \`npm run build\` (it writes ${uiDir})` }
          : { error: `no such dashboard file: ${name}` };
      return;
    }
    ctx.set('Cache-Control', file.cacheControl);
    ctx.set('ETag', file.etag);
    ctx.vary('Accept-Encoding');
    ctx.type = file.type;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    if (file.gzipped && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = file.gzipped;
    } else {
      ctx.body = file.body;
    }
  };
  // Relative asset URLs need the trailing slash: /ui goes to /ui/.
  router.get('/ui', (ctx) => (ctx.path === '/ui/' ? serve(ctx, 'index.html') : ctx.redirect('/ui/')));
  router.get('/ui/:name', (ctx) => serve(ctx, ctx.params.name!));
}
