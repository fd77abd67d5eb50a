// Which database engine a --db value names, and which one a Kysely instance talks to, for the few
// places where SQLite and PostgreSQL need different SQL.
import { type Expression, PostgresAdapter, type RawBuilder, sql } from 'kysely';
import type { Db } from './db.js';

export type DialectName = 'sqlite' | 'postgres';

/** `postgres://` or `postgresql://` URLs name a PostgreSQL database; anything else is a SQLite file. */
export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location.trim());

export const dialectOfLocation = (location: string): DialectName => (isPostgresUrl(location) ? 'postgres' : 'sqlite');

/** The engine behind `db` (a transaction or connection of it included). */
export const dialectOf = (db: Db): DialectName => (db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite');

export const isPostgres = (db: Db): boolean => dialectOf(db) === 'postgres';

/** A --db value fit for logs and messages: a URL loses its password, a file path stays as it is. */
export function describeDatabase(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    // Unparseable: say nothing of it that could hold a secret.
    return 'postgres://(unparseable URL)';
  }
}

/** The smaller of two values: SQLite's two-argument min(), PostgreSQL's least(). */
export const smallerOf = (db: Db, a: Expression<number>, b: Expression<number>): RawBuilder<number> =>
  isPostgres(db) ? sql<number>`least(${a}, ${b})` : sql<number>`min(${a}, ${b})`;
