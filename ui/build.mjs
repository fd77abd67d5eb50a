// Bundles the dashboard into dist/ui/: main-<hash>.js and main-<hash>.css (content-hashed, so
// the backend serves them as immutable) and index.html naming them (served no-cache).
// Everything is bundled: the page loads nothing from any other host and works air-gapped.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as esbuild from 'esbuild';

const here = import.meta.dirname;
const outdir = join(here, '..', 'dist', 'ui');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(here, 'main.tsx')],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir,
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((n) => n.endsWith('.js'));
const css = outputs.find((n) => n.endsWith('.css'));
if (!js || !css) throw new Error(`ui build: expected a .js and a .css output, got ${outputs.join(', ')}`);
const html = readFileSync(join(here, 'index.html'), 'utf8').replaceAll('{{js}}', js).replaceAll('{{css}}', css);
writeFileSync(join(outdir, 'index.html'), html);
