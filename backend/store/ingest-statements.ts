// The statements of the SQLite ingest path (backend/ingest-sqlite.ts), prepared once at start.
// Their SQL is still built by Kysely's typed builder against the Database interface, so a renamed
// column fails the type-check here as everywhere else; only the values are left as named
// parameters (@name) that better-sqlite3 binds from an object on every run.
import type SQLite from 'better-sqlite3';
import { type Compilable, type RawBuilder, sql } from 'kysely';
import type { Db } from './db.js';
import { MARKS } from './rollups.js';
import type { AlertRow, SampleRow, Severity } from './schema.js';

/** A named parameter in a query built by Kysely: `@name` in the SQL, bound by better-sqlite3. */
const param = <T>(name: string): RawBuilder<T> => sql<T>`${sql.raw(`@${name}`)}`;

/** The statement of a query; its parameters are named by the field's type in IngestStatements. */
function prepare<P extends object, O>(sqlite: SQLite.Database, query: Compilable<O>): SQLite.Statement<[P], O> {
  const compiled = query.compile();
  // Everything is a named parameter: a value bound at compile time would be frozen into the statement.
  if (compiled.parameters.length > 0) throw new Error(`statement has positional parameters: ${compiled.sql}`);
  return sqlite.prepare<[P], O>(compiled.sql);
}

export interface ActiveRow {
  rule: string;
  subject: string;
  since: number;
  alert_id: number;
  alert: string;
  severity: Severity;
}

type Key = { device_id: string; rule: string; subject: string };

export interface IngestStatements {
  sampleByAgentId: SQLite.Statement<[{ device_id: string; sample_id: string }], { id: number; timestamp: number }>;
  /** Packed blocks of a device in a range of hours (a retry of a sample packed since). */
  blocksAround: SQLite.Statement<[{ device_id: string; from_hour: number; to_hour: number }], { data: Uint8Array }>;
  insertSample: SQLite.Statement<[Omit<SampleRow, 'id'>]>;
  device: SQLite.Statement<[{ id: string }], { last_seen: number; interval_seconds: number | null }>;
  deviceSeen: SQLite.Statement<[{ id: string; seen_at: number; sample_id: number; interval_seconds: number | null }]>;
  earlierSample: SQLite.Statement<[{ id: string; measured_at: number }]>;
  rollupWatermark: SQLite.Statement<[Record<string, never>], { value: number }>;
  markRollupDirty: SQLite.Statement<[{ id: string; timestamp: number }]>;
  activeAlerts: SQLite.Statement<[{ device_id: string }], ActiveRow>;
  pendingAlerts: SQLite.Statement<[{ device_id: string }], { rule: string; subject: string; since: number }>;
  insertPending: SQLite.Statement<[Key & { since: number }]>;
  deletePending: SQLite.Statement<[Key]>;
  insertAlert: SQLite.Statement<[Omit<AlertRow, 'id'>]>;
  insertActive: SQLite.Statement<[Key & { since: number; alert_id: number; value: number | null; threshold: number | null }]>;
  deleteActive: SQLite.Statement<[Key]>;
}

/** The same statements as the Kysely path's store functions (samples, devices, rollups, alerts), in the same order of effects. */
export function prepareIngestStatements(db: Db, sqlite: SQLite.Database): IngestStatements {
  return {
    sampleByAgentId: prepare(
      sqlite,
      db.selectFrom('samples').select(['id', 'timestamp']).where('device_id', '=', param<string>('device_id')).where('sample_id', '=', param<string>('sample_id')),
    ),
    blocksAround: prepare(
      sqlite,
      db
        .selectFrom('sample_blocks')
        .select('data')
        .where('device_id', '=', param<string>('device_id'))
        .where('hour', '>=', param<number>('from_hour'))
        .where('hour', '<=', param<number>('to_hour')),
    ),
    // No RETURNING: lastInsertRowid gives the id at a third of the cost.
    insertSample: prepare(
      sqlite,
      db.insertInto('samples').values({
        device_id: param('device_id'),
        timestamp: param('timestamp'),
        received_at: param('received_at'),
        sample_id: param('sample_id'),
        cpu_percent: param('cpu_percent'),
        memory_percent: param('memory_percent'),
        swap_percent: param('swap_percent'),
        payload: param('payload'),
      }),
    ),
    device: prepare(sqlite, db.selectFrom('devices').select(['last_seen', 'interval_seconds']).where('id', '=', param<string>('id'))),
    deviceSeen: prepare(
      sqlite,
      db
        .insertInto('devices')
        .values({ id: param('id'), first_seen: param('seen_at'), last_seen: param('seen_at'), latest_sample_id: param('sample_id'), interval_seconds: param('interval_seconds') })
        .onConflict((oc) => oc.column('id').doUpdateSet({ last_seen: param('seen_at'), latest_sample_id: param('sample_id'), interval_seconds: param('interval_seconds') })),
    ),
    earlierSample: prepare(
      sqlite,
      db
        .updateTable('devices')
        .set((eb) => ({ first_seen: eb.fn('min', [eb.ref('first_seen'), param<number>('measured_at')]) }))
        .where('id', '=', param<string>('id')),
    ),
    rollupWatermark: prepare(sqlite, db.selectFrom('maintenance').select('value').where('key', '=', sql.lit(MARKS.rollup300Until))),
    markRollupDirty: prepare(
      sqlite,
      db
        .updateTable('devices')
        .set({ rollup_dirty_from: sql<number>`min(coalesce(rollup_dirty_from, @timestamp), @timestamp)` })
        .where('id', '=', param<string>('id')),
    ),
    // With what a recovery needs of the alert that opened the problem; in primary-key order, as the Kysely path reads it.
    activeAlerts: prepare(
      sqlite,
      db
        .selectFrom('alert_state')
        .innerJoin('alerts', 'alerts.id', 'alert_state.alert_id')
        .select(['alert_state.rule', 'alert_state.subject', 'alert_state.since', 'alert_state.alert_id', 'alerts.alert', 'alerts.severity'])
        .where('alert_state.device_id', '=', param<string>('device_id'))
        .orderBy('alert_state.rule')
        .orderBy('alert_state.subject'),
    ),
    pendingAlerts: prepare(
      sqlite,
      db.selectFrom('alert_pending').select(['rule', 'subject', 'since']).where('device_id', '=', param<string>('device_id')).orderBy('rule').orderBy('subject'),
    ),
    insertPending: prepare(
      sqlite,
      db.insertInto('alert_pending').values({ device_id: param('device_id'), rule: param('rule'), subject: param('subject'), since: param('since') }),
    ),
    deletePending: prepare(sqlite, db.deleteFrom('alert_pending').where('device_id', '=', param<string>('device_id')).where('rule', '=', param<string>('rule')).where('subject', '=', param<string>('subject'))),
    insertAlert: prepare(
      sqlite,
      db.insertInto('alerts').values({
        device_id: param('device_id'),
        timestamp: param('timestamp'),
        alert: param('alert'),
        severity: param('severity'),
        kind: param('kind'),
        rule: param('rule'),
        subject: param('subject'),
        value: param('value'),
        threshold: param('threshold'),
        sample_id: param('sample_id'),
      }),
    ),
    insertActive: prepare(
      sqlite,
      db.insertInto('alert_state').values({
        device_id: param('device_id'),
        rule: param('rule'),
        subject: param('subject'),
        since: param('since'),
        alert_id: param('alert_id'),
        value: param('value'),
        threshold: param('threshold'),
      }),
    ),
    deleteActive: prepare(sqlite, db.deleteFrom('alert_state').where('device_id', '=', param<string>('device_id')).where('rule', '=', param<string>('rule')).where('subject', '=', param<string>('subject'))),
  };
}
