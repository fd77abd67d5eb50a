// Silences: matchers and a time window during which matching problems are not notified.
import type { Db } from './db.js';
import type { NewSilence, SilenceRow } from './schema.js';

/** Silences in force at `now` (few: they are a person's doing). */
export const activeSilences = (db: Db, now: number): Promise<SilenceRow[]> =>
  db.selectFrom('silences').selectAll().where('ends_at', '>', now).where('starts_at', '<=', now).execute();

export async function insertSilence(db: Db, silence: NewSilence): Promise<SilenceRow> {
  return db.insertInto('silences').values(silence).returningAll().executeTakeFirstOrThrow();
}

/** Silences not yet over (`all`: every one ever made), soonest end first. */
export function listSilences(db: Db, now: number, all: boolean): Promise<SilenceRow[]> {
  let q = db.selectFrom('silences').selectAll();
  if (!all) q = q.where('ends_at', '>', now);
  return q.orderBy('ends_at').orderBy('id').execute();
}

/** Ends a silence now; returns false when there is no such silence. */
export async function deleteSilence(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('silences').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
