// Forgetting a decommissioned device: its row and what is open for it go; its history stays.
import { clearAlertStateOf } from '../store/alerts.js';
import type { Db } from '../store/db.js';
import { deleteDevice } from '../store/devices.js';
import { type WriteOptions, writeTransaction } from '../store/write-transaction.js';

/** False when there was no such device. `forgetCached` is told inside the transaction (backend/ingest-cache.ts). */
export function forgetDevice(db: Db, id: string, options?: WriteOptions, forgetCached: (deviceId: string) => void = () => {}): Promise<boolean> {
  return writeTransaction(
    db,
    async (trx) => {
      forgetCached(id);
      await clearAlertStateOf(trx, id);
      return deleteDevice(trx, id);
    },
    options,
  );
}
