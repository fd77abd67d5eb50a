// What SQLite plans to do for a Kysely query: `explain query plan` details, one per line.
import type SQLite from 'better-sqlite3';
import type { Compilable } from 'kysely';

export function queryPlan(sqlite: SQLite.Database, query: Compilable): string {
  const { sql, parameters } = query.compile();
  const rows = sqlite.prepare(`explain query plan ${sql}`).all(...(parameters as unknown[])) as { detail: string }[];
  return rows.map((r) => r.detail).join('\n');
}
