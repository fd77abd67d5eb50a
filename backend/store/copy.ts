// Moving an installation from its SQLite file to a PostgreSQL database (`fleetmon-backend copy`):
// every table, rows keeping their ids, in one PostgreSQL transaction, then counted on both sides.
import { existsSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { migrations } from '../../migrations/index.js';
import type { Db } from './db.js';
import { describeDatabase } from './dialect.js';
import { migrateToLatest } from './migrate.js';
import { PostgresConnectError, openPostgres } from './postgres.js';
import type { Database } from './schema.js';

export class CopyError extends Error {}

/**
 * Every table of the Database interface with the columns of its primary key, which order the copy.
 * The type makes forgetting a new table a compile error; the order is the insert order, parents
 * before the tables whose foreign keys point at them (notifications -> alerts).
 */
export const COPIED_TABLES: { readonly [T in keyof Database]: readonly (keyof Database[T] & string)[] } = {
  devices: ['id'],
  samples: ['id'],
  sample_blocks: ['device_id', 'hour'],
  alerts: ['id'],
  alert_state: ['device_id', 'rule', 'subject'],
  alert_pending: ['device_id', 'rule', 'subject'],
  rollups: ['device_id', 'resolution', 'bucket', 'series'],
  maintenance: ['key'],
  notifications: ['id'],
  flapping: ['device_id', 'rule', 'subject'],
  leases: ['name'],
  silences: ['id'],
  tokens: ['id'],
};

export const copiedTableNames = Object.keys(COPIED_TABLES) as (keyof Database)[];

/** Rows per INSERT: 1,000 rows of the widest table (notifications, 12 columns) stay far below PostgreSQL's 65,535 parameters. */
const BATCH_ROWS = 1000;

const MIGRATION_TABLE = 'kysely_migration';

export interface CopiedTable {
  table: keyof Database;
  rows: number;
}

export interface CopyReport {
  tables: CopiedTable[];
}

/** Tables of a fleetmon SQLite file, without SQLite's own and the Migrator's. */
export function sqliteTablesOf(sqlite: SQLite.Database): string[] {
  return sqlite
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_migration%' order by name")
    .pluck()
    .all() as string[];
}

function openSource(path: string): SQLite.Database {
  if (!existsSync(path)) throw new CopyError(`no SQLite database at ${path}: --from names the file the backend ran on (its --db)`);
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(path, { readonly: true, fileMustExist: true });
    sqlite.pragma('busy_timeout = 5000');
  } catch (err) {
    throw new CopyError(`cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    checkSourceSchema(sqlite, path);
  } catch (err) {
    sqlite.close();
    throw err;
  }
  return sqlite;
}

/** The copy writes the latest schema; a source behind it would leave columns out or wrong. */
function checkSourceSchema(sqlite: SQLite.Database, path: string): void {
  const migrateHint = `bring it to the latest schema first: fleetmon-backend migrate --db ${path} (or start the backend on it once)`;
  let applied: string[];
  try {
    const hasTable = sqlite.prepare("select count(*) from sqlite_master where type = 'table' and name = ?").pluck().get(MIGRATION_TABLE) === 1;
    applied = hasTable ? (sqlite.prepare(`select name from ${MIGRATION_TABLE} order by name`).pluck().all() as string[]) : [];
  } catch (err) {
    throw new CopyError(`${path} is not a fleetmon SQLite database (${(err as Error).message})`);
  }
  const known = Object.keys(migrations);
  const unknown = applied.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new CopyError(`${path} was written by a newer fleetmon (schema migration ${unknown.join(', ')}): copy with that version`);
  const missing = known.filter((name) => !applied.includes(name));
  if (missing.length > 0) throw new CopyError(`${path} is not at the latest schema (missing ${missing.join(', ')}): ${migrateHint}`);
  const uncovered = sqliteTablesOf(sqlite).filter((name) => !(name in COPIED_TABLES));
  if (uncovered.length > 0) throw new CopyError(`${path} has tables this version does not copy (${uncovered.join(', ')}); nothing was copied`);
}

const countOf = async (db: Db, table: string): Promise<number> =>
  Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]?.n ?? 0);

/** Copying into a database that holds data would merge two installations (and collide on ids). */
async function checkTargetEmpty(db: Db, location: string): Promise<void> {
  const holding: string[] = [];
  for (const table of copiedTableNames) {
    const rows = await countOf(db, table);
    if (rows > 0) holding.push(`${table}: ${rows} rows`);
  }
  if (holding.length > 0) {
    throw new CopyError(
      `${describeDatabase(location)} already holds data (${holding.join(', ')}); copy never merges into an existing installation. ` +
        'Give --to a new, empty database (createdb), or drop this one and create it again.',
    );
  }
}

async function copyTable(trx: Db, sqlite: SQLite.Database, table: keyof Database): Promise<void> {
  const order = COPIED_TABLES[table].join(', ');
  const rows = sqlite.prepare(`select * from ${table} order by ${order}`).iterate() as IterableIterator<Record<string, unknown>>;
  let batch: Record<string, unknown>[] = [];
  const insert = async () => {
    const columns = Object.keys(batch[0]!);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) values ${sql.join(
      batch.map((row) => sql`(${sql.join(columns.map((c) => row[c]))})`),
    )}`.execute(trx);
    batch = [];
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= BATCH_ROWS) await insert();
  }
  if (batch.length > 0) await insert();
}

/** Identities continue past the copied ids, so the next sample or alert gets a new one. */
async function resetIdentities(trx: Db): Promise<void> {
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and is_identity = 'YES'`.execute(trx);
  for (const { table_name: table, column_name: column } of rows) {
    await sql`select setval(pg_get_serial_sequence(${table}, ${column}), coalesce(max(${sql.ref(column)}), 1), max(${sql.ref(column)}) is not null) from ${sql.table(table)}`.execute(trx);
  }
}

/**
 * Copy the installation in the SQLite file `from` into the PostgreSQL database `to` (migrated to the
 * latest schema first, and refused unless empty). One transaction: a failure leaves it empty.
 */
export async function copySqliteToPostgres(from: string, to: string): Promise<CopyReport> {
  const sqlite = openSource(from);
  try {
    const { db } = await openPostgres(to, { maxConnections: 1 }).catch((err: unknown) => {
      throw err instanceof PostgresConnectError ? new CopyError(err.message) : err;
    });
    try {
      await migrateToLatest(db);
      await checkTargetEmpty(db, to);
      // One read transaction on the source: the tables and their counts come from one moment, even
      // if a backend still writes the file.
      sqlite.exec('begin');
      try {
        const tables = await db.transaction().execute(async (trx) => {
          for (const table of copiedTableNames) {
            await copyTable(trx, sqlite, table).catch((err: unknown) => {
              throw new CopyError(`copying table ${table} failed: ${(err as Error).message}; nothing was copied, ${describeDatabase(to)} is as it was`);
            });
          }
          await resetIdentities(trx);
          const copied: CopiedTable[] = [];
          for (const table of copiedTableNames) {
            const expected = sqlite.prepare(`select count(*) from ${table}`).pluck().get() as number;
            const rows = await countOf(trx, table);
            if (rows !== expected) throw new CopyError(`table ${table}: ${expected} rows in ${from} but ${rows} in the copy; nothing was copied`);
            copied.push({ table, rows });
          }
          return copied;
        });
        return { tables };
      } finally {
        sqlite.exec('rollback');
      }
    } finally {
      await db.destroy();
    }
  } finally {
    sqlite.close();
  }
}
