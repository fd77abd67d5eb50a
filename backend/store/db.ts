// Opening the database: better-sqlite3 under Kysely, with the pragmas a server on one file wants,
// or a PostgreSQL pool when --db is a postgres:// URL.
import { realpathSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import { type DialectName, isPostgresUrl } from './dialect.js';
import { PostgresConnectError, openPostgres } from './postgres.js';
import type { Database } from './schema.js';
import { WalFlusher } from './wal-flush.js';

export type Db = Kysely<Database>;

export interface OpenedDatabase {
  db: Db;
  dialect: DialectName;
  /**
   * SQLite only: the raw handle, for pragmas and checkpoints; queries go through `db`. On
   * PostgreSQL reading it throws: code that may run on both checks `dialect` first (SQLite-only
   * tests and tools read it directly).
   */
  readonly sqlite: SQLite.Database;
  close(): Promise<void>;
}

export class DatabaseOpenError extends Error {}

const sqliteHandles = new WeakMap<Db, SQLite.Database>();

/** The better-sqlite3 handle under a Db opened by openDatabase; undefined for any other (or a transaction's). */
export const sqliteHandleOf = (db: Db): SQLite.Database | undefined => sqliteHandles.get(db);

const walFlushers = new WeakMap<SQLite.Database, WalFlusher>();

/** What flushes the WAL of a file opened with --sync normal after its commits; undefined with full. */
export const walFlusherOf = (sqlite: SQLite.Database): WalFlusher | undefined => walFlushers.get(sqlite);

/**
 * A probe saying whether another connection (the CLI, a sqlite3 shell, a second backend) committed
 * to the file since the probe last looked. SQLite's data_version changes exactly then, never for
 * this connection's own commits; reading it costs about a microsecond. Each probe keeps its own
 * last value, so each cache can have its own.
 */
export function otherWritersProbe(sqlite: SQLite.Database): () => boolean {
  const dataVersion = sqlite.prepare('pragma data_version').pluck();
  let seen = dataVersion.get();
  return () => {
    const now = dataVersion.get();
    if (now === seen) return false;
    seen = now;
    return true;
  };
}

const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;
const PAGE_SIZE = 16384;

/** Statements kept prepared; the hot paths use a few dozen distinct ones. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew; preparing was a tenth of the ingest time in the benchmark.
 * The same SQL text gets the same prepared statement (better-sqlite3 statements are reusable and
 * each runs to completion synchronously), least recently used ones dropped past the cap.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

const READ_ONLY_HELP =
  "fleetmon writes the file and the -wal and -shm files beside it: check the permissions of the file and of its directory for the backend's user, and that the filesystem is not mounted read-only";

/**
 * SQLite opens a file it may not write read-only without a word, and every write then fails; a
 * server that starts, says "listening" and answers every sample with an error helps nobody. So
 * write something that changes nothing (the header's user_version, to its own value) and refuse to
 * start when that fails.
 */
function checkWritable(sqlite: SQLite.Database): void {
  const version = Number(sqlite.pragma('user_version', { simple: true }));
  sqlite.pragma(`user_version = ${version}`);
}

/** Why a database could not be opened, in words that say what to do. */
function openFailure(path: string, err: unknown): DatabaseOpenError {
  const { code, message } = err as { code?: string; message?: string };
  const why =
    code?.startsWith('SQLITE_READONLY')
      ? `it is read-only here (${message}). ${READ_ONLY_HELP}`
      : code === 'SQLITE_BUSY'
        ? 'another process holds its write lock (a sqlite3 shell in a transaction?); end that transaction and start again'
        : `${message}. Check that the directory exists and is writable, and that the file is a fleetmon SQLite database.`;
  return new DatabaseOpenError(`cannot open database ${path}: ${why}`);
}

export interface OpenOptions {
  /** FULL (the default) syncs the WAL on every commit; NORMAL only at checkpoints (see --sync). */
  sync?: 'full' | 'normal';
}

/** A SQLite file (created if missing). */
export function openDatabase(path: string, options: OpenOptions = {}): OpenedDatabase {
  let sqlite: SQLite.Database | undefined;
  let journalMode: unknown;
  try {
    sqlite = new SQLite(path);
    // The busy timeout makes a brief lock by another process (a sqlite3 shell) wait instead of fail;
    // WAL lets readers run beside the writer; FULL sync means an acknowledged sample survives a
    // power cut, not only a crash (NORMAL, chosen with --sync normal: only a crash of the process).
    sqlite.pragma('busy_timeout = 5000');
    // Both can only be chosen before the first table exists. A new file can give the pages that
    // retention frees back to the disk (backend/maintenance.ts); and samples of about 2 KB pack
    // into 16 KB pages with far less waste than into the default 4 KB (storage benchmark).
    if (sqlite.prepare("select count(*) from sqlite_master where type = 'table'").pluck().get() === 0) {
      // page_size first: after auto_vacuum it no longer takes.
      sqlite.pragma(`page_size = ${PAGE_SIZE}`);
      sqlite.pragma('auto_vacuum = INCREMENTAL');
    }
    journalMode = sqlite.pragma('journal_mode = WAL', { simple: true });
    // After a checkpoint the WAL file is cut back to this size, however big a burst of deletes made it.
    sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    sqlite.pragma(`synchronous = ${options.sync === 'normal' ? 'NORMAL' : 'FULL'}`);
    sqlite.pragma('foreign_keys = ON');
    checkWritable(sqlite);
  } catch (err) {
    sqlite?.close();
    throw openFailure(path, err);
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  sqliteHandles.set(db, sqlite);
  // NORMAL syncs the WAL only at checkpoints: flushed in the background after commits, it leaves them
  // little to sync (store/wal-flush.ts). SQLite keeps the WAL beside the file a symlink points to.
  const flusher = options.sync === 'normal' && journalMode === 'wal' ? new WalFlusher(`${realpathSync(path)}-wal`) : undefined;
  if (flusher) walFlushers.set(sqlite, flusher);
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    close: () => {
      flusher?.close();
      // Kysely's destroy() closes the better-sqlite3 handle too.
      return db.destroy();
    },
  };
}

/** What --db names: a postgres:// URL (connected and checked) or a SQLite file. */
export async function connectDatabase(location: string, options: OpenOptions = {}): Promise<OpenedDatabase> {
  if (!isPostgresUrl(location)) return openDatabase(location, options);
  try {
    const { db } = await openPostgres(location);
    return {
      db,
      dialect: 'postgres',
      get sqlite(): never {
        throw new Error('this needs a SQLite database; --db names a PostgreSQL one');
      },
      close: () => db.destroy(),
    };
  } catch (err) {
    throw err instanceof PostgresConnectError ? new DatabaseOpenError(err.message) : err;
  }
}
