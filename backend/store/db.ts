// Opening the database: better-sqlite3 under Kysely, with the pragmas a server on one file wants.
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface OpenedDatabase {
  db: Db;
  /** The raw handle, for pragmas and checkpoints; queries go through `db`. */
  sqlite: SQLite.Database;
  close(): Promise<void>;
}

export class DatabaseOpenError extends Error {}

export function openDatabase(path: string): OpenedDatabase {
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(path);
  } catch (err) {
    throw new DatabaseOpenError(
      `cannot open database ${path}: ${(err as Error).message}. Check that the directory exists and is writable.`,
    );
  }
  // WAL lets readers (the sqlite3 CLI, GET requests) run beside the writer; the busy timeout makes a
  // brief lock by another process wait instead of failing; FULL sync means an acknowledged sample
  // survives a power cut, not only a crash.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    sqlite,
    // Kysely's destroy() closes the better-sqlite3 handle too.
    close: () => db.destroy(),
  };
}
