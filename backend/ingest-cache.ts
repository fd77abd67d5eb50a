// What the SQLite ingest path needs of each device before it can store a sample (its last time and
// interval, and what is open or pending for it), kept in memory so that a sample costs no SELECT.
//
// Filled from the database on first use of a device (so it starts empty, rebuilt by every start),
// written through by ingest in the transaction that writes the rows, and dropped where anything
// else in this process writes them: the silence check, DELETE /devices, and a transaction that
// rolled back. Whatever another connection commits (a sqlite3 shell, a CLI command, a second
// backend) empties it: each batch asks SQLite's data_version first, inside its write transaction.
import type { ActiveRow } from './store/ingest-statements.js';

export interface CachedDevice {
  lastSeen: number;
  intervalSeconds: number | null;
}

export interface CachedAlertState {
  /** Open problems in primary-key order (rule, subject), with the alert that opened each. */
  active: readonly ActiveRow[];
  pending: readonly { rule: string; subject: string; since: number }[];
}

export class IngestCache {
  /** null: known to have no row. */
  private readonly devices = new Map<string, CachedDevice | null>();
  private readonly alertStates = new Map<string, CachedAlertState>();

  /** `changedElsewhere` says whether another connection committed since it last looked (store/db.ts). */
  constructor(private readonly changedElsewhere: () => boolean = () => false) {}

  /** Call inside the write transaction, before any use: drops everything if another connection wrote. */
  catchUp(): void {
    if (this.changedElsewhere()) this.clear();
  }

  device(id: string, load: () => CachedDevice | null): CachedDevice | null {
    let device = this.devices.get(id);
    if (device === undefined) {
      device = load();
      this.devices.set(id, device);
    }
    return device;
  }

  setDevice(id: string, device: CachedDevice): void {
    this.devices.set(id, device);
  }

  alertState(id: string, load: () => CachedAlertState): CachedAlertState {
    let state = this.alertStates.get(id);
    if (state === undefined) {
      state = load();
      this.alertStates.set(id, state);
    }
    return state;
  }

  /**
   * The alert state of a device changed: read again on its next sample. Changes are rare (a
   * transition or a wait starting or ending), and reading them back keeps the order SQLite gives.
   */
  alertStateChanged(id: string): void {
    this.alertStates.delete(id);
  }

  /** Something other than ingest wrote this device's rows (inside its transaction, before commit). */
  forgetDevice(id: string): void {
    this.devices.delete(id);
    this.alertStates.delete(id);
  }

  /** A transaction rolled back: what it wrote through is not in the database. */
  clear(): void {
    this.devices.clear();
    this.alertStates.clear();
  }
}
