// Opening a PostgreSQL database: a pg pool under Kysely, with numbers read back as numbers.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { describeDatabase } from './dialect.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * pg hands bigint (count(*), sum of integers) and numeric back as strings, to lose no precision;
 * every such value here is a count or a sum far below 2^53, and the code expects numbers, as
 * SQLite gives them. Set per pool, not on pg's global type table.
 */
const numberTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export class PostgresConnectError extends Error {}

export interface OpenedPostgres {
  db: Kysely<Database>;
  pool: pg.Pool;
}

/** A pool for `url`, checked with one query so that a wrong URL or password stops the start at once. */
export async function openPostgres(url: string, options: { maxConnections?: number } = {}): Promise<OpenedPostgres> {
  const pool = new pg.Pool({ connectionString: url, types: numberTypes as pg.CustomTypesConfig, max: options.maxConnections ?? 10, application_name: 'fleetmon' });
  // An idle connection that dies (server restart) emits 'error' on the pool; without a listener that
  // would end the process. The next query gets a fresh connection, or fails and is reported there.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    await db.destroy();
    throw new PostgresConnectError(
      `cannot connect to database ${describeDatabase(url)}: ${(err as Error).message}. Check the host, port, user, password and database name in the URL, and that PostgreSQL accepts connections from here (pg_hba.conf).`,
    );
  }
  return { db, pool };
}

/** Bytes the current database takes on disk, for /prometheus/self. */
export async function postgresDatabaseSize(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ size: number }>`select pg_database_size(current_database()) as size`.execute(db);
  return Number(rows[0]?.size ?? 0);
}
