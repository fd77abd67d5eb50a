// API tokens, read on every authenticated request. `token add` and `token revoke` from the CLI
// take effect at the next request on a running backend, and backends sharing a database agree:
// on SQLite what was read is kept in memory until another connection commits to the file (its
// data_version says so) or this process writes a token; other dialects read the table each time.
import type { Role } from '../auth/roles.js';
import { type Db, otherWritersProbe, sqliteHandleOf } from './db.js';
import type { NewToken, TokenRow } from './schema.js';

interface TokenCache {
  changedElsewhere: () => boolean;
  /** Rows found by id; an id without a row is not kept (anyone can send any number of them). */
  rows: Map<string, TokenRow>;
  valid: ValidTokens | undefined;
  /** Moves at every forget: a read that started before must not fill the cache afterwards. */
  generation: number;
}

/** null: not SQLite, no cache. */
const caches = new WeakMap<Db, TokenCache | null>();

function forget(cache: TokenCache): void {
  cache.rows.clear();
  cache.valid = undefined;
  cache.generation++;
}

/**
 * A probe that looks at most once per turn of the event loop. Requests read in the same turn
 * arrived together, so none of them can tell whether another connection committed before it or
 * after; looking once for them all saves a read transaction (~5 µs) per request under load. A
 * request that follows a `token revoke` has to be sent after it, and so comes in a later turn.
 */
function oncePerTurn(probe: () => boolean): () => boolean {
  let looked = false;
  const lookAgain = () => {
    looked = false;
  };
  return () => {
    if (looked) return false;
    looked = true;
    setImmediate(lookAgain);
    return probe();
  };
}

/** The cache of this database, emptied first if another connection wrote to the file since the last look. */
function cacheOf(db: Db): TokenCache | undefined {
  let cache = caches.get(db);
  if (cache === undefined) {
    const sqlite = sqliteHandleOf(db);
    cache = sqlite ? { changedElsewhere: oncePerTurn(otherWritersProbe(sqlite)), rows: new Map(), valid: undefined, generation: 0 } : null;
    caches.set(db, cache);
  }
  if (cache?.changedElsewhere()) forget(cache);
  return cache ?? undefined;
}

/** This process wrote the tokens table (its own commits do not move data_version). */
function written(db: Db): void {
  const cache = caches.get(db);
  if (cache) forget(cache);
}

export async function insertToken(db: Db, token: NewToken): Promise<void> {
  try {
    await db.insertInto('tokens').values(token).execute();
  } finally {
    written(db);
  }
}

export async function findToken(db: Db, id: string): Promise<TokenRow | undefined> {
  const cache = cacheOf(db);
  const cached = cache?.rows.get(id);
  if (cached) return cached;
  const generation = cache?.generation;
  const row = await db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (row && cache && cache.generation === generation) cache.rows.set(id, row);
  return row;
}

/** Every token, valid and revoked, oldest first. */
export async function listTokens(db: Db): Promise<TokenRow[]> {
  return db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
}

/** Mark a token revoked at `at`; a token revoked before keeps its first revocation time. */
export async function revokeToken(db: Db, id: string, at: number): Promise<void> {
  try {
    await db.updateTable('tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  } finally {
    written(db);
  }
}

export interface ValidTokens {
  /** At least one token is valid: writes need a token. */
  any: boolean;
  /** At least one read token is valid: reads need a token too. */
  read: boolean;
}

const validOfRole = (db: Db, role?: Role) => {
  const valid = db.selectFrom('tokens').select('id').where('revoked_at', 'is', null);
  return role === undefined ? valid : valid.where('role', '=', role);
};

const validTokensQuery = (db: Db) => db.selectNoFrom((eb) => [eb.exists(validOfRole(db)).as('any'), eb.exists(validOfRole(db, 'read')).as('read')]);

/** Built once per database: this runs at every request, and building it cost 3 times what running it does (50 against 14 µs). */
const compiledValidTokens = new WeakMap<Db, ReturnType<ReturnType<typeof validTokensQuery>['compile']>>();

/** Which kinds of valid tokens exist: one query over the partial index of valid tokens. */
export async function validTokens(db: Db): Promise<ValidTokens> {
  const cache = cacheOf(db);
  if (cache?.valid) return cache.valid;
  const generation = cache?.generation;
  let query = compiledValidTokens.get(db);
  if (!query) compiledValidTokens.set(db, (query = validTokensQuery(db).compile()));
  const [row] = (await db.executeQuery(query)).rows;
  const valid = { any: Boolean(row?.any), read: Boolean(row?.read) };
  if (cache && cache.generation === generation) cache.valid = valid;
  return valid;
}
