// Days of a fleet's history written straight into a database, SQLite or PostgreSQL, as maintenance
// would have left them: one packed block per device-hour, its 5-minute and hourly rollups, and the
// rollup marks. One simulated device-hour is made (its samples, block and rollups) and copied to
// every device and hour by INSERT ... SELECT inside the database, which fills millions of rows in
// seconds where going through ingest and the packer would take hours (bench:pg-retention).
import { type RawBuilder, sql } from 'kysely';
import { createSimulatedMachine } from '../../agent/sim/machine.js';
import { createRng } from '../../agent/sim/random.js';
import { summariseSamples } from '../history/aggregate.js';
import { encodeBlock } from '../samples/pack.js';
import type { Db } from '../store/db.js';
import { isPostgres } from '../store/dialect.js';
import { FIVE_MINUTES, ONE_HOUR, type TimeRange, writeMark } from '../store/rollups.js';

export interface FleetHistory {
  /** Device ids `fleet-0000`, ... */
  devices: number;
  /** Hour-aligned ranges of time that hold blocks and rollups. */
  hours: readonly TimeRange[];
  /** An hour (of those above) whose samples stay rows instead of a block: rows that never got packed. */
  rawHour?: number;
  /** Where the history ends: each device's latest sample (a row) is 10 s before; rollups are marked done up to here. */
  end: number;
}

export interface FilledHistory {
  blocks: number;
  rollups: number;
  samples: number;
  /** Series per device-hour in the rollups (the simulator's headline series). */
  series: number;
}

const INTERVAL = 10;

interface TemplateSample {
  offset: number;
  cpu: number | null;
  memory: number | null;
  swap: number | null;
  payload: string;
}

/** One simulated device-hour: its samples (times as offsets in the hour), block and rollups. */
function templateHour() {
  const machine = createSimulatedMachine('fleet-template', createRng(7), { faultRate: 0.1, intervalSeconds: INTERVAL });
  const hour = 1_700_000_000 - (1_700_000_000 % ONE_HOUR);
  const samples: TemplateSample[] = [];
  for (let offset = 0; offset < ONE_HOUR; offset += INTERVAL) {
    const { sample_id: _none, ...payload } = machine.next(hour + offset);
    samples.push({ offset, cpu: payload.cpu?.total_percent ?? null, memory: payload.memory?.percent ?? null, swap: payload.memory?.swap_percent ?? null, payload: JSON.stringify(payload) });
  }
  const block = encodeBlock(samples.map((s, i) => ({ id: i + 1, timestamp: hour + s.offset, receivedAt: hour + s.offset, sampleId: null, payload: s.payload })));
  const timed = samples.map((s) => ({ deviceId: 'fleet-template', timestamp: hour + s.offset, payload: s.payload }));
  const rollups = ([FIVE_MINUTES, ONE_HOUR] as const).flatMap((resolution) =>
    summariseSamples(timed, resolution).map((r) => ({ resolution, offset: r.bucket - hour, series: r.series, avg: r.avg, max: r.max, count: r.count })),
  );
  return { samples, block, rollups };
}

const values = (rows: readonly (readonly unknown[])[]): RawBuilder<unknown> => sql.join(rows.map((row) => sql`(${sql.join(row)})`));

/** The hours of `range`, as a recursive common table expression both databases run. */
const hoursOf = (range: TimeRange) =>
  sql`with recursive hours(hour) as (select cast(${range.from} as double precision) union all select hour + ${ONE_HOUR} from hours where hour + ${ONE_HOUR} < ${range.to})`;

export async function fillFleetHistory(db: Db, fleet: FleetHistory): Promise<FilledHistory> {
  const template = templateHour();
  const ids = Array.from({ length: fleet.devices }, (_, i) => `fleet-${String(i).padStart(4, '0')}`);
  const first = Math.min(...fleet.hours.map((h) => h.from));
  // PostgreSQL types a bare parameter in a select list as text; SQLite would turn a blob cast to an unknown type into a number.
  const block = isPostgres(db) ? sql`cast(${template.block} as bytea)` : sql`${template.block}`;
  const notRaw = fleet.rawHour === undefined ? sql`1 = 1` : sql`h.hour <> ${fleet.rawHour}`;
  const run = async (trx: Db) => {
    await trx
      .insertInto('devices')
      .values(ids.map((id) => ({ id, first_seen: first, last_seen: fleet.end - INTERVAL, latest_sample_id: null, interval_seconds: INTERVAL, rollup_dirty_from: null })))
      .execute();
    // Templates in temporary tables (this connection's own), then multiplied in the database, in
    // time order as maintenance writes them.
    await sql`create temporary table fill_rollups (resolution integer, offset_s double precision, series text, avg double precision, max double precision, count integer)`.execute(trx);
    await sql`insert into fill_rollups values ${values(template.rollups.map((r) => [r.resolution, r.offset, r.series, r.avg, r.max, r.count]))}`.execute(trx);
    await sql`create temporary table fill_samples (offset_s double precision, cpu double precision, memory double precision, swap double precision, payload text)`.execute(trx);
    await sql`insert into fill_samples values ${values(template.samples.map((s) => [s.offset, s.cpu, s.memory, s.swap, s.payload]))}`.execute(trx);
    for (const range of fleet.hours) {
      await sql`${hoursOf(range)}
        insert into sample_blocks (device_id, hour, first_time, last_time, count, data)
        select d.id, h.hour, h.hour + ${template.samples[0]!.offset}, h.hour + ${template.samples.at(-1)!.offset}, cast(${template.samples.length} as integer), ${block}
        from hours h cross join devices d where ${notRaw} order by h.hour, d.id`.execute(trx);
      await sql`${hoursOf(range)}
        insert into rollups (device_id, resolution, bucket, series, avg, max, count)
        select d.id, t.resolution, h.hour + t.offset_s, t.series, t.avg, t.max, t.count
        from hours h cross join devices d cross join fill_rollups t order by h.hour, d.id, t.resolution, t.offset_s`.execute(trx);
    }
    const insertSamples = (hour: number, where: RawBuilder<unknown>) =>
      sql`insert into samples (device_id, timestamp, received_at, sample_id, cpu_percent, memory_percent, swap_percent, payload)
        select d.id, ${hour} + t.offset_s, ${hour} + t.offset_s, null, t.cpu, t.memory, t.swap, t.payload
        from devices d cross join fill_samples t where ${where} order by t.offset_s, d.id`.execute(trx);
    if (fleet.rawHour !== undefined) await insertSamples(fleet.rawHour, sql`1 = 1`);
    // Each device's latest sample: the template's last, 10 s before the end.
    const lastOffset = template.samples.at(-1)!.offset;
    await insertSamples(fleet.end - INTERVAL - lastOffset, sql`t.offset_s = ${lastOffset}`);
    await trx
      .updateTable('devices')
      .set((eb) => ({ latest_sample_id: eb.selectFrom('samples').select((s) => s.fn.max('samples.id').as('id')).whereRef('samples.device_id', '=', 'devices.id') }))
      .execute();
    await sql`drop table fill_rollups`.execute(trx);
    await sql`drop table fill_samples`.execute(trx);
    await writeMark(trx, 'rollup300Until', fleet.end);
    await writeMark(trx, 'rollup3600Until', fleet.end);
  };
  // One connection: the temporary tables are that connection's.
  if (isPostgres(db)) await db.transaction().execute(run);
  else await db.connection().execute(async (conn) => {
    await sql`begin`.execute(conn);
    await run(conn);
    await sql`commit`.execute(conn);
  });
  const hours = fleet.hours.reduce((n, h) => n + (h.to - h.from) / ONE_HOUR, 0);
  const series = template.rollups.filter((r) => r.resolution === ONE_HOUR).length;
  return {
    blocks: (hours - (fleet.rawHour === undefined ? 0 : 1)) * fleet.devices,
    rollups: hours * fleet.devices * template.rollups.length,
    samples: fleet.devices * ((fleet.rawHour === undefined ? 0 : template.samples.length) + 1),
    series,
  };
}
