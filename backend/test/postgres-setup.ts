// vitest globalSetup of the PostgreSQL project: one throwaway cluster for the whole run.
import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgresCluster } from './postgres.js';

export default async function setup(project: TestProject): Promise<() => void> {
  const bin = findPostgresBin();
  if (!bin) {
    project.provide('postgresUrl', undefined);
    return () => {};
  }
  const cluster = await startPostgresCluster(bin);
  project.provide('postgresUrl', cluster.url);
  return () => cluster.stop();
}
