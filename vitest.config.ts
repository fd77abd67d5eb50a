import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { findPostgresBin } from './backend/test/postgres.js';

const everything = ['backend/**/*.test.ts', 'agent/**/*.test.ts', 'shared/**/*.test.ts', 'ui/test/**/*.test.ts'];
/**
 * Suites that also run against PostgreSQL (each SQLite file a test names becomes a database of its
 * own). Not here: those that reach into the SQLite file itself (pragmas, plans, fixtures written
 * with better-sqlite3, file permissions).
 */
const onPostgres = [
  'backend/**/*.postgres.test.ts',
  'backend/single-runner.test.ts',
  'ui/test/dashboard.test.ts',
  ...['api', 'bad-input', 'restart', 'crash', 'auth', 'fleet', 'fuzz', 'events', 'delivery', 'notify', 'notify-crash', 'notify-readme', 'protected-mode', 'prometheus', 'rollups', 'sample-blocks', 'tls'].map(
    (name) => `backend/test/${name}.test.ts`,
  ),
];

export default defineConfig({
  test: {
    // Some tests start real backend and agent processes.
    testTimeout: 30_000,
    // At least two files at a time: vitest's default is cores - 1, one file at a time on a 2-core
    // machine, yet much of a file's time is spent waiting on the processes, browsers and fsyncs it
    // starts. Three on 2 cores starve the CPU-heavy files (retention, sample packing) into timeouts.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'sqlite', include: everything, exclude: ['**/node_modules/**', 'backend/**/*.postgres.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'postgres',
          // Without PostgreSQL only the file that says so (its tests skip, naming the package to install).
          include: findPostgresBin() ? onPostgres : ['backend/test/cluster.postgres.test.ts'],
          env: { FLEETMON_TEST_DB: 'postgres' },
          globalSetup: ['backend/test/postgres-setup.ts'],
        },
      },
    ],
  },
});
