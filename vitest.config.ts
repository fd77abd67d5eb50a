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
