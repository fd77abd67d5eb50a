// Sample blocks: a device's older samples, one compressed block per hour (backend/samples/pack.ts).
// Recent samples, and every device's latest, stay rows of `samples`; maintenance packs the rest.
// A sample lives in exactly one place: packing writes the block and deletes its rows in one
// transaction, and a late sample for a packed hour is a row until it is packed into that block.
import { sql } from 'kysely';
import { type PackedSample, decodeBlock, decodeBlockIndex } from '../samples/pack.js';
import type { Db } from './db.js';
import { isPostgres } from './dialect.js';
import { ONE_HOUR, type TimeRange } from './rollups.js';

/** An hour is packed once it ended this long ago: samples of the last hours stay rows (readable with json_extract). */
export const PACK_AFTER_SECONDS = 2 * ONE_HOUR;
/** A retry's measured time may differ from the first send's by this much (receive time minus age, both rounded). */
const RETRY_SLACK_SECONDS = 600;

const hourOf = (time: number): number => Math.floor(time / ONE_HOUR) * ONE_HOUR;

/** One device's blocks that may hold samples in `range`: a range of the primary key. */
export const deviceBlocksQuery = (db: Db, deviceId: string, range: TimeRange) =>
  db
    .selectFrom('sample_blocks')
    .select(['hour', 'data'])
    .where('device_id', '=', deviceId)
    .where('hour', '>=', hourOf(range.from))
    .where('hour', '<', range.to)
    .orderBy('hour');

const inRange = (range: TimeRange) => (s: { timestamp: number }) => s.timestamp >= range.from && s.timestamp < range.to;
const byTime = (a: { timestamp: number; id: number }, b: { timestamp: number; id: number }) => a.timestamp - b.timestamp || a.id - b.id;

/** One device's packed samples in a time range, oldest first. */
export async function devicePackedSamples(db: Db, deviceId: string, range: TimeRange): Promise<PackedSample[]> {
  const blocks = await deviceBlocksQuery(db, deviceId, range).execute();
  return blocks.flatMap((b) => decodeBlock(b.data).filter(inRange(range))).sort(byTime);
}

/** A device's newest packed samples before `before`, newest first: at least `limit` of them if it has that many (whole blocks are read). */
export async function newestPackedSamples(db: Db, deviceId: string, before: number, limit: number): Promise<PackedSample[]> {
  const out: PackedSample[] = [];
  const hours = await db.selectFrom('sample_blocks').select('hour').where('device_id', '=', deviceId).where('hour', '<', before).orderBy('hour', 'desc').execute();
  for (const { hour } of hours) {
    if (out.length >= limit) break;
    const data = await readBlock(db, deviceId, hour);
    if (data) out.push(...decodeBlock(data).filter((s) => s.timestamp < before));
  }
  return out.sort((a, b) => byTime(b, a));
}

/** The blocks (of every device) of the hours that may hold samples in `range`, without their data: through the hour index. */
export const blocksInRangeQuery = (db: Db, range: TimeRange) =>
  db
    .selectFrom('sample_blocks')
    .select(['device_id', 'hour', 'count'])
    .where('hour', '>=', hourOf(range.from))
    .where('hour', '<', range.to)
    .orderBy('hour');

export interface DevicePackedSample extends PackedSample {
  deviceId: string;
}

/**
 * Packed samples of every device in a time range, oldest first: at least the first `limit` of
 * them (whole hours are decoded, so a few more may come back), or all without a limit.
 */
export async function packedSamplesInRange(db: Db, range: TimeRange, limit = Number.POSITIVE_INFINITY): Promise<DevicePackedSample[]> {
  const out: DevicePackedSample[] = [];
  let lastHour: number | undefined;
  for (const block of await blocksInRangeQuery(db, range).execute()) {
    // Later hours only hold later samples: once enough are read, the rest of this hour suffices.
    if (out.length >= limit && block.hour !== lastHour) break;
    lastHour = block.hour;
    const row = await db.selectFrom('sample_blocks').select('data').where('device_id', '=', block.device_id).where('hour', '=', block.hour).executeTakeFirst();
    if (row) for (const s of decodeBlock(row.data)) if (inRange(range)(s)) out.push({ ...s, deviceId: block.device_id });
  }
  return out.sort(byTime);
}

/** The first block at or after `from` with a sample at or after it (of one device, or all): through a hour index. */
export const firstPackedTimeQuery = (db: Db, from: number, deviceId?: string) => {
  const query = db.selectFrom('sample_blocks').select(['first_time', 'hour']).where('hour', '>=', hourOf(from)).where('last_time', '>=', from).orderBy('hour').limit(1);
  return deviceId === undefined ? query : query.where('device_id', '=', deviceId);
};

/** The earliest time at or after `from` that a packed sample may have (of one device, or all); a lower bound, never past a sample. */
export async function firstPackedTime(db: Db, from: number, deviceId?: string): Promise<number | undefined> {
  const row = await firstPackedTimeQuery(db, from, deviceId).executeTakeFirst();
  return row && Math.max(from, row.first_time);
}

/** The blocks of a device around a time where a retry may have been packed (one or two): a range of the primary key. */
/** The hours whose blocks may hold a retry of a sample measured at `timestamp`. */
export const hoursAround = (timestamp: number): { from_hour: number; to_hour: number } => ({
  from_hour: hourOf(timestamp - RETRY_SLACK_SECONDS),
  to_hour: hourOf(timestamp + RETRY_SLACK_SECONDS),
});

export const blocksAroundQuery = (db: Db, deviceId: string, timestamp: number) => {
  const { from_hour, to_hour } = hoursAround(timestamp);
  return db.selectFrom('sample_blocks').select('data').where('device_id', '=', deviceId).where('hour', '>=', from_hour).where('hour', '<=', to_hour);
};

/** The sample stored under the agent's id for it in one of `blocks`, if any. */
export function findInBlocks(blocks: { data: Uint8Array }[], sampleId: string): { id: number; timestamp: number } | undefined {
  for (const block of blocks) {
    const found = decodeBlockIndex(block.data).find((s) => s.sampleId === sampleId);
    if (found) return { id: found.id, timestamp: found.timestamp };
  }
  return undefined;
}

/** A sample stored under the agent's id for it in a packed hour near `timestamp`, if any (a retry sent after that hour was packed). */
export async function findPackedSampleByAgentId(db: Db, deviceId: string, sampleId: string, timestamp: number): Promise<{ id: number; timestamp: number } | undefined> {
  return findInBlocks(await blocksAroundQuery(db, deviceId, timestamp).execute(), sampleId);
}

/**
 * Whether a sample measured at `timestamp` and received at `receivedAt` might repeat one already
 * packed: only samples older than the unpacked window. Live samples never are, and skip the lookup.
 */
export const mayRepeatPackedSample = (timestamp: number, receivedAt: number): boolean => timestamp < receivedAt - PACK_AFTER_SECONDS + RETRY_SLACK_SECONDS;

// --- Packing (maintenance) ---

export interface PackCandidate {
  deviceId: string;
  hour: number;
}

/**
 * The device and hour of the oldest row in [from, to) that is not its device's latest (that one
 * stays a row for GET /metrics): through the samples_time index.
 */
export const nextRowToPackQuery = (db: Db, range: TimeRange) =>
  db
    .selectFrom('samples')
    .select(['device_id', 'timestamp'])
    .where('timestamp', '>=', range.from)
    .where('timestamp', '<', range.to)
    .where('id', 'not in', (eb) =>
      eb.selectFrom('devices').select('latest_sample_id').where('latest_sample_id', 'is not', null).$narrowType<{ latest_sample_id: number }>(),
    )
    .orderBy('timestamp')
    .limit(1);

export async function nextHourToPack(db: Db, range: TimeRange): Promise<PackCandidate | undefined> {
  const row = await nextRowToPackQuery(db, range).executeTakeFirst();
  return row && { deviceId: row.device_id, hour: hourOf(row.timestamp) };
}

/** Most rows one block takes at a time (bound parameters of the delete); a busier hour is packed in several steps. */
const ROWS_PER_PACK = 10_000;

/** A device's rows of one hour, but its latest, oldest first, with all their columns: through samples_device_time. */
export const rowsToPackQuery = (db: Db, deviceId: string, hour: number) =>
  db
    .selectFrom('samples')
    .select(['id', 'timestamp', 'received_at', 'sample_id', 'payload'])
    .where('device_id', '=', deviceId)
    .where('timestamp', '>=', hour)
    .where('timestamp', '<', hour + ONE_HOUR)
    .where('id', 'not in', (eb) => eb.selectFrom('devices').select('latest_sample_id').where('id', '=', deviceId).where('latest_sample_id', 'is not', null).$narrowType<{ latest_sample_id: number }>())
    .orderBy('timestamp')
    .limit(ROWS_PER_PACK);

export async function rowsToPack(db: Db, deviceId: string, hour: number): Promise<PackedSample[]> {
  const rows = await rowsToPackQuery(db, deviceId, hour).execute();
  return rows.map((r) => ({ id: r.id, timestamp: r.timestamp, receivedAt: r.received_at, sampleId: r.sample_id, payload: r.payload }));
}

export async function readBlock(db: Db, deviceId: string, hour: number): Promise<Uint8Array | undefined> {
  return (await db.selectFrom('sample_blocks').select('data').where('device_id', '=', deviceId).where('hour', '=', hour).executeTakeFirst())?.data;
}

/** The samples a block of these samples should hold: the old block's and the new rows, oldest first. */
export function mergeForBlock(old: Uint8Array | undefined, rows: readonly PackedSample[]): PackedSample[] {
  const seen = new Set<number>();
  const merged: PackedSample[] = [];
  for (const s of [...(old ? decodeBlock(old) : []), ...rows]) {
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    merged.push(s);
  }
  return merged.sort(byTime);
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === undefined || b === undefined ? a === b : Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

/**
 * Write a block made (outside any transaction) from `old` and `rows`, and delete those rows; in
 * the caller's write transaction. Returns false, changing nothing, if the block or the rows changed
 * meanwhile (another packer, a repack): the next step starts again from what is there.
 */
export async function storeBlock(
  trx: Db,
  target: PackCandidate,
  old: Uint8Array | undefined,
  rows: readonly PackedSample[],
  samples: readonly PackedSample[],
  data: Uint8Array,
): Promise<boolean> {
  if (!sameBytes(await readBlock(trx, target.deviceId, target.hour), old)) return false;
  const ids = rows.map((r) => r.id);
  const present = await trx.selectFrom('samples').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', ids).executeTakeFirstOrThrow();
  if (Number(present.n) !== ids.length) return false;
  const times = samples.map((s) => s.timestamp);
  const values = { first_time: Math.min(...times), last_time: Math.max(...times), count: samples.length, data };
  await trx
    .insertInto('sample_blocks')
    .values({ device_id: target.deviceId, hour: target.hour, ...values })
    .onConflict((oc) => oc.columns(['device_id', 'hour']).doUpdateSet(values))
    .execute();
  // A few hundred ids: far below SQLite's limit of bound parameters.
  await trx.deleteFrom('samples').where('id', 'in', ids).execute();
  return true;
}

/** The oldest blocks of hours before `before` (a whole hour), up to `limit`: through the hour index. */
export const blocksBeforeQuery = (db: Db, before: number, limit: number) =>
  db.selectFrom('sample_blocks').select(['device_id', 'hour']).where('hour', '<', hourOf(before)).orderBy('hour').limit(limit);

/** PostgreSQL: the same blocks in one statement, picked through the hour index by their physical address. */
export const deleteBlocksBeforePostgres = (db: Db, before: number, limit: number) =>
  db.deleteFrom('sample_blocks').where(sql`ctid`, '=', sql`any(array(${blocksBeforeQuery(db, before, limit).clearSelect().select(sql`ctid`.as('ctid'))}))`);

/** Delete up to `limit` blocks of hours before `before`, each by its primary key; returns how many went. */
export async function deleteBlocksBefore(db: Db, before: number, limit: number): Promise<number> {
  // One statement instead of a round trip per block while the write lock is held.
  if (isPostgres(db)) return Number((await deleteBlocksBeforePostgres(db, before, limit).executeTakeFirst()).numDeletedRows);
  // DELETE ... LIMIT on a table without an integer key scans it: find the keys by index, delete by key.
  const blocks = await blocksBeforeQuery(db, before, limit).execute();
  for (const block of blocks) await db.deleteFrom('sample_blocks').where('device_id', '=', block.device_id).where('hour', '=', block.hour).execute();
  return blocks.length;
}
