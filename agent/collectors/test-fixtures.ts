// Paths to the fixture trees the collector tests read.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CollectorContext } from './context.js';

export const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const fixture = (...parts: string[]): string => path.join(fixturesDir, ...parts);

export const fixtureContext = (proc = 'proc', sys = 'sys-laptop'): CollectorContext => ({
  procRoot: fixture(proc),
  sysRoot: fixture(sys),
});
