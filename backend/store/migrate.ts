// Bringing a database file to the schema this build expects, or refusing one from a newer build.
import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations/index.js';
import type { Db } from './db.js';
import { isPostgres } from './dialect.js';

export class SchemaError extends Error {}

const MIGRATION_TABLE = 'kysely_migration';

function migratorFor(db: Db): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Names of migrations already applied to this file (none for a new file). */
async function appliedMigrations(db: Db): Promise<string[]> {
  const exists = isPostgres(db)
    ? await sql<{ n: number }>`select count(*) as n from information_schema.tables where table_schema = current_schema() and table_name = ${MIGRATION_TABLE}`.execute(db)
    : await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = ${MIGRATION_TABLE}`.execute(db);
  if (Number(exists.rows[0]?.n ?? 0) === 0) return [];
  const rows = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

export interface MigrationReport {
  applied: string[];
  current: string | undefined;
}

export async function migrateToLatest(db: Db): Promise<MigrationReport> {
  const known = new Set(Object.keys(migrations));
  const unknown = (await appliedMigrations(db)).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SchemaError(
      `this database was written by a newer fleetmon (it has schema migration ${unknown.join(', ')}, ` +
        `which this version does not know). Upgrade fleetmon, or point --db at another file.`,
    );
  }
  const { error, results } = await migratorFor(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new SchemaError(
      `database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const all = await appliedMigrations(db);
  return { applied, current: all[all.length - 1] };
}
