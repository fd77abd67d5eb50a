// Write transactions that take the database's write lock up front, wait for another writer without
// blocking the event loop, and report a full disk or a lock held too long as what they are.
import { sql } from 'kysely';
import type { Db } from './db.js';
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
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    let began = false;
    try {
      return await db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        began = true;
        try {
          const result = await work(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (err) {
          // SQLite may have rolled back by itself (SQLITE_FULL does); then there is nothing to undo,
          // and the error worth reporting is the first one.
          await sql`rollback`.execute(conn).catch(() => {});
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

/**
 * Advisory lock keys (pg_advisory_xact_lock(space, key)): fleetmon's space, 'flm' and a byte, so
 * that another application's advisory locks on the same database do not collide with ours.
 */
export const ADVISORY_LOCK_SPACE = 0x666c6d00;
const WRITE_LOCK_KEY = 0;

const LOCK_NOT_AVAILABLE = '55P03';
const DISK_FULL = '53100';

/**
 * PostgreSQL: one write transaction at a time across every backend on the database, as SQLite's
 * write lock gives on one file: a transaction-level advisory lock taken first, so whatever a
 * transaction reads (a device's latest sample, its open alerts) no other writer changes before it
 * commits. Several backends then behave exactly as one; the wait is bounded by lock_timeout.
 */
async function postgresWriteTransaction<T>(db: Db, work: (trx: Db) => Promise<T>, options: WriteOptions): Promise<T> {
  const started = performance.now();
  try {
    return await db.transaction().execute(async (trx) => {
      await sql`select set_config('lock_timeout', ${`${Math.max(1, Math.round(options.lockWaitMs))}ms`}, true)`.execute(trx);
      await sql`select pg_advisory_xact_lock(${ADVISORY_LOCK_SPACE}, ${WRITE_LOCK_KEY})`.execute(trx);
      return work(trx);
    });
  } catch (err) {
    const code = errorCode(err);
    if (code === LOCK_NOT_AVAILABLE) throw new WriteLockTimeout(performance.now() - started);
    if (code === DISK_FULL) throw new StorageFull(`the database cannot grow: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}
