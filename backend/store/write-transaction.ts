// Write transactions that take the database's write lock up front, wait for another writer without
// blocking the event loop, and report a full disk or a lock held too long as what they are.
import { sql } from 'kysely';
import type SQLite from 'better-sqlite3';
import { type Db, sqliteHandleOf, walFlusherOf } from './db.js';
import { isPostgres } from './dialect.js';

/** Another writer (a sqlite3 shell, a second backend) held the write lock for longer than we wait. */
export class WriteLockTimeout extends Error {
  constructor(readonly waitedMs: number) {
    super(`the database is locked by another writer (waited ${Math.round(waitedMs)} ms)`);
  }
}

/** SQLite could not grow the file: the disk (or the database's size cap) is full. */
export class StorageFull extends Error {}

/** SQLite's code (SQLITE_BUSY) or PostgreSQL's SQLSTATE (55P03), as the drivers put them on errors. */
const errorCode = (err: unknown): string | undefined => (err as { code?: unknown })?.code as string | undefined;

/** How long the connection's own busy handler blocks (synchronously) before BEGIN IMMEDIATE gives up once. */
export const BUSY_TIMEOUT_MS = 20;

export interface WriteOptions {
  /** Longest time to wait for another writer's lock, in ms. */
  lockWaitMs: number;
}

/** The default of --lock-timeout. */
export const DEFAULT_WRITE_OPTIONS: WriteOptions = { lockWaitMs: 5000 };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run `work` in a transaction that holds the write lock from its first statement (BEGIN
 * IMMEDIATE). A deferred BEGIN starts as a reader, and in WAL mode a reader that must upgrade
 * while another connection writes fails at once with SQLITE_BUSY, whatever the busy timeout.
 *
 * While another writer holds the lock, the attempt is repeated with a growing pause; between
 * attempts the connection is free, so readers go on and the event loop never waits longer than
 * BUSY_TIMEOUT_MS. Past `lockWaitMs` it throws WriteLockTimeout, having written nothing.
 */
export async function writeTransaction<T>(db: Db, work: (trx: Db) => Promise<T>, options: WriteOptions = DEFAULT_WRITE_OPTIONS): Promise<T> {
  if (isPostgres(db)) return postgresWriteTransaction(db, work, options);
  const { begin, commit, rollback } = transactionStatements(db);
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    let began = false;
    try {
      return await db.connection().execute(async (conn) => {
        begin();
        began = true;
        try {
          const result = await work(conn);
          commit();
          return result;
        } catch (err) {
          // SQLite may have rolled back by itself (SQLITE_FULL does); then there is nothing to undo,
          // and the error worth reporting is the first one.
          try {
            rollback();
          } catch {}
          throw err;
        }
      });
    } catch (err) {
      const code = errorCode(err);
      if (code === 'SQLITE_FULL') throw new StorageFull(`the database cannot grow: ${(err as Error).message}`, { cause: err });
      if (began || !code?.startsWith('SQLITE_BUSY')) throw err;
      const waited = performance.now() - started;
      if (waited >= options.lockWaitMs) throw new WriteLockTimeout(waited);
      await pause(Math.min(5 * 2 ** attempt, 200, options.lockWaitMs - waited));
    }
  }
}

interface TransactionStatements {
  begin: () => void;
  commit: () => void;
  rollback: () => void;
}

const transactionStatementsOf = new WeakMap<SQLite.Database, TransactionStatements>();

/**
 * BEGIN IMMEDIATE, COMMIT and ROLLBACK prepared once on the file's handle: ingest runs a
 * transaction for every group commit, and Kysely compiled and looked up each of them every time.
 * They run inside db.connection(), so no other query of this Db comes between.
 */
function transactionStatements(db: Db): TransactionStatements {
  const sqlite = sqliteHandleOf(db);
  if (!sqlite) throw new Error('writeTransaction needs a Db opened by openDatabase (not a transaction of one)');
  let statements = transactionStatementsOf.get(sqlite);
  if (!statements) {
    const [begin, commit, rollback] = ['begin immediate', 'commit', 'rollback'].map((text) => sqlite.prepare(text));
    const flusher = walFlusherOf(sqlite);
    statements = {
      begin: () => void begin!.run(),
      commit: () => {
        commit!.run();
        flusher?.noteCommit();
      },
      rollback: () => void rollback!.run(),
    };
    transactionStatementsOf.set(sqlite, statements);
  }
  return statements;
}

/**
 * Advisory lock keys (pg_advisory_xact_lock(space, key)): fleetmon's spaces, 'flm' and a byte, so
 * that another application's advisory locks on the same database do not collide with ours.
 * WRITE_LOCK_KEY in ADVISORY_LOCK_SPACE is the database's write lock: exclusive for a transaction
 * that may touch anything, shared for one that touches only its devices' rows. Those also hold one
 * key per device in DEVICE_LOCK_SPACE: hashtext(device id), as `psql` can take it by hand.
 */
export const ADVISORY_LOCK_SPACE = 0x666c6d00;
export const DEVICE_LOCK_SPACE = 0x666c6d01;
const WRITE_LOCK_KEY = 0;

const LOCK_NOT_AVAILABLE = '55P03';
const QUERY_CANCELED = '57014';
const DISK_FULL = '53100';

/**
 * A write transaction that touches only the rows of `deviceIds` (their samples, device rows, alert
 * state, and rows it only inserts: alerts, notifications). On PostgreSQL it waits only for another
 * transaction on one of those devices, or for one holding the whole write lock; writers of other
 * devices go on beside it. On SQLite, whose file has one write lock, it is writeTransaction.
 */
export async function deviceWriteTransaction<T>(db: Db, deviceIds: readonly string[], work: (trx: Db) => Promise<T>, options: WriteOptions = DEFAULT_WRITE_OPTIONS): Promise<T> {
  if (!isPostgres(db)) return writeTransaction(db, work, options);
  return postgresWriteTransaction(db, work, options, deviceIds);
}

const timeoutSetting = (ms: number) => `${Math.max(1, Math.round(ms))}ms`;

/**
 * PostgreSQL: transaction-level advisory locks taken first, so whatever a transaction reads (a
 * device's latest sample, its open alerts) no other writer changes before it commits: one sample of
 * a device is judged after the one before it, whichever backend took either. Without `deviceIds`
 * the transaction holds the write lock alone, as SQLite's gives on one file; with them it shares it
 * with other devices' writers and holds each device's key alone, taken in key order so that two
 * batches never wait for each other crosswise. The whole wait is bounded by `lockWaitMs`.
 */
async function postgresWriteTransaction<T>(db: Db, work: (trx: Db) => Promise<T>, options: WriteOptions, deviceIds?: readonly string[]): Promise<T> {
  const started = performance.now();
  try {
    return await db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ statement_timeout: string }>`
        select set_config('lock_timeout', ${timeoutSetting(options.lockWaitMs)}, true), current_setting('statement_timeout') as statement_timeout`.execute(trx);
      if (deviceIds === undefined) {
        await sql`select pg_advisory_xact_lock(${ADVISORY_LOCK_SPACE}, ${WRITE_LOCK_KEY})`.execute(trx);
      } else {
        await sql`select pg_advisory_xact_lock_shared(${ADVISORY_LOCK_SPACE}, ${WRITE_LOCK_KEY})`.execute(trx);
        await lockDevices(trx, deviceIds, options.lockWaitMs - (performance.now() - started), rows[0]!.statement_timeout);
      }
      return work(trx);
    });
  } catch (err) {
    const code = errorCode(err);
    // The device locks' own timeout says so too; either way the whole wait is reported.
    if (code === LOCK_NOT_AVAILABLE || err instanceof WriteLockTimeout) throw new WriteLockTimeout(performance.now() - started);
    if (code === DISK_FULL) throw new StorageFull(`the database cannot grow: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

/**
 * Each device's key, in one statement (the subquery's order is the order they are taken in).
 * lock_timeout bounds each key's wait, so the statement as a whole gets what is left of the wait
 * as its statement_timeout; the caller's statement_timeout is put back after it.
 */
async function lockDevices(trx: Db, deviceIds: readonly string[], remainingMs: number, statementTimeout: string): Promise<void> {
  if (deviceIds.length === 0) return;
  if (remainingMs <= 0) throw new WriteLockTimeout(remainingMs);
  const left = timeoutSetting(remainingMs);
  await sql`select set_config('lock_timeout', ${left}, true), set_config('statement_timeout', ${left}, true)`.execute(trx);
  try {
    await sql`
      select count(pg_advisory_xact_lock(${DEVICE_LOCK_SPACE}, key)) from (
        select distinct hashtext(id) as key from unnest(${[...deviceIds]}::text[]) as id order by key
      ) as keys`.execute(trx);
  } catch (err) {
    // Canceled by the statement_timeout set just above: the wait ran out.
    if (errorCode(err) === QUERY_CANCELED) throw new WriteLockTimeout(remainingMs);
    throw err;
  }
  await sql`select set_config('statement_timeout', ${statementTimeout}, true)`.execute(trx);
}
