// What the migrations need to write one schema for SQLite and PostgreSQL alike. The SQLite
// schema stays exactly what the first releases wrote (backend/store/fixtures/sqlite-schema-0006.sql);
// PostgreSQL gets the equivalent types. Like the migrations, this never imports the app's types.
import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely';

// Kysely<any>: a migration sees the database as it was then, not the app's current types.
export const isPostgres = (db: Kysely<any>): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/** Times (Unix seconds, fractional) and measured values: SQLite's REAL is 8 bytes, PostgreSQL's real only 4. */
export const realType = (db: Kysely<any>) => (isPostgres(db) ? 'double precision' : 'real') as 'real';

/** A column holding a row id of a table with rowIdColumn (samples may pass 2^31 rows). */
export const rowIdType = (db: Kysely<any>) => (isPostgres(db) ? 'bigint' : 'integer') as 'integer';

/**
 * A generated row id: SQLite's `integer primary key autoincrement` (ids never reused), PostgreSQL's
 * bigint identity, "by default" so that `copy` can move rows with their ids.
 */
export const rowIdColumn = (db: Kysely<any>) => (c: ColumnDefinitionBuilder) =>
  isPostgres(db) ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement();

/** Bytes: SQLite's BLOB, PostgreSQL's bytea. */
export const blobType = (db: Kysely<any>) => (isPostgres(db) ? 'bytea' : 'blob') as 'blob';
