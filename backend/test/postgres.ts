// The tests' side of the throwaway cluster (backend/throwaway-postgres.ts): what the PostgreSQL
// project's globalSetup hands to the test files.
export { POSTGRES_PACKAGE_HINT, type PostgresCluster, findPostgresBin, startPostgresCluster } from '../throwaway-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's cluster (postgres-setup.ts); undefined when PostgreSQL is not installed. */
    postgresUrl: string | undefined;
  }
}
