// Jobs that one backend at a time should run when several share a database (maintenance, the
// silence check): each turn first takes or renews a lease in the `leases` table, as the
// notification sender does. A holder that dies stops renewing, and another backend takes over once
// its lease has expired, or at once when the holder was a process on this machine that is gone.
import { holderIsDead } from './notify/sender.js';
import type { Db } from './store/db.js';
import { releaseLease, takeLease } from './store/notifications.js';
import { type WriteOptions, writeTransaction } from './store/write-transaction.js';

export interface SingleRunnerOptions {
  db: Db;
  /** The lease's name in the `leases` table. */
  name: string;
  /** This backend (see leaseOwner in notify/sender.ts). */
  owner: string;
  /** How long a turn's lease lasts: a few of the job's intervals, so a live holder always renews in time. */
  ttlSeconds: number;
  now: () => number;
  write: WriteOptions;
}

export interface SingleRunner {
  /** Run `turn` if this backend holds the lease or can take it; returns whether it ran. */
  run(turn: () => Promise<void>): Promise<boolean>;
  /** Give the lease up (on a clean stop), so another backend takes over without waiting. */
  release(): Promise<void>;
}

export function singleRunner(o: SingleRunnerOptions): SingleRunner {
  return {
    async run(turn) {
      const held = await writeTransaction(o.db, (trx) => takeLease(trx, o.name, o.owner, o.now(), o.ttlSeconds, holderIsDead), o.write);
      if (!held) return false;
      await turn();
      return true;
    },
    release: () => writeTransaction(o.db, (trx) => releaseLease(trx, o.name, o.owner), o.write),
  };
}
