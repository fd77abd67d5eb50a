// Making and ending silences: the domain behind POST/DELETE /silences (typed input, own transactions).
import type { Db } from '../store/db.js';
import type { SilenceRow } from '../store/schema.js';
import { insertSilence } from '../store/silences.js';
import { type WriteOptions, writeTransaction } from '../store/write-transaction.js';
import type { SilenceMatchers } from './silence.js';

export interface SilenceSpec extends SilenceMatchers {
  startsAt: number;
  endsAt: number;
  comment: string;
  author: string;
}

export function addSilence(db: Db, spec: SilenceSpec, now: number, write: WriteOptions): Promise<SilenceRow> {
  return writeTransaction(
    db,
    (trx) =>
      insertSilence(trx, {
        device: spec.device,
        rule: spec.rule,
        subject: spec.subject,
        severity: spec.severity,
        starts_at: spec.startsAt,
        ends_at: spec.endsAt,
        comment: spec.comment,
        author: spec.author,
        created_at: now,
      }),
    write,
  );
}

/**
 * End a silence now (it stays listed with ?all=1, as a record of who silenced what). What it held
 * back and is still open is sent by the sender's next pass. False when there is no such silence.
 */
export function expireSilence(db: Db, id: number, now: number, write: WriteOptions): Promise<boolean> {
  return writeTransaction(
    db,
    async (trx) => {
      const row = await trx.selectFrom('silences').select(['ends_at', 'starts_at']).where('id', '=', id).executeTakeFirst();
      if (!row) return false;
      if (row.ends_at > now) await trx.updateTable('silences').set({ ends_at: Math.max(now, row.starts_at) }).where('id', '=', id).execute();
      return true;
    },
    write,
  );
}
