// Background upkeep of the database: roll samples up, then delete what has aged out, in small
// batches so that ingest never waits long. Maintenance shares the backend's one connection with
// ingest and the readers, so every transaction here is short: each task in a step is one
// transaction over at most a few thousand rows. Every step moves a mark forward or reports idle,
// whatever times the file holds (a sample at -1e308 once made a step that moved nothing, for ever).
import { sql } from 'kysely';
import { ceilTo, floorTo, summariseSamples } from './history/aggregate.js';
import type { Logger } from './log.js';
import type { Db } from './store/db.js';
import { isPostgres } from './store/dialect.js';
import {
  FIVE_MINUTES,
  type Marks,
  ONE_HOUR,
  countRollups,
  deleteRollupsBefore,
  firstRollupBucket,
  nextDirtyDevice,
  oldestRollupBucket,
  readMarks,
  rebuildHourlyRollups,
  replaceRollups,
  setRollupDirtyFrom,
  writeMark,
} from './store/rollups.js';
import {
  type TimedPayload,
  deleteSamplesBefore,
  deviceSamples,
  firstSampleTime,
  oldestSampleTime,
  samplesInRange,
} from './store/sample-history.js';
import {
  PACK_AFTER_SECONDS,
  deleteBlocksBefore,
  mergeForBlock,
  nextHourToPack,
  readBlock,
  rowsToPack,
  storeBlock,
} from './store/sample-blocks.js';
import { encodeBlockAsync } from './samples/pack.js';
import type { RollupResolution } from './store/schema.js';
import { writeTransaction } from './store/write-transaction.js';

export interface MaintenanceOptions {
  db: Db;
  /** Unix seconds. */
  now: () => number;
  log: Logger;
  /** Raw samples older than this many seconds are deleted (after being rolled up). */
  retentionSeconds: number;
  /** Hourly rollups older than this many seconds are deleted. */
  rollupRetentionSeconds: number;
  /** Pack older samples into hourly blocks (default); off only to measure the unpacked form (bench:storage). */
  packSamples?: boolean;
}

export interface MaintenanceReport {
  /** True when nothing is left to do right now. */
  idle: boolean;
}

export interface Maintenance {
  /** One bounded step of work (a few short transactions). */
  runOnce(): Promise<MaintenanceReport>;
  /** Steps until idle (for `fleetmon-backend maintenance` and tests). */
  runUntilIdle(): Promise<void>;
}

/** A bucket is rolled up once it ended this long ago, so that samples a little late still make it. */
export const ROLLUP_SETTLE_SECONDS = 60;
/** 5-minute rollups are kept at most this long, whatever the hourly retention. */
export const FIVE_MINUTE_RETENTION_MAX_SECONDS = 90 * 86400;
/** Most time one rollup transaction covers... */
const ROLLUP_CHUNK_SECONDS = 24 * ONE_HOUR;
/** ...and most samples it reads (it stops at the bucket boundary before; a single crowded bucket is read whole). */
const SAMPLES_PER_ROLLUP = 4000;
/** Most 5-minute rows one hourly rollup transaction reads (whole hours; at least one). */
const ROWS_PER_HOURLY_ROLLUP = 20_000;
/** Rows one retention transaction deletes. */
const DELETE_BATCH = 2000;
/** Sample blocks one retention transaction deletes (each is an hour of a device's samples). */
const BLOCK_DELETE_BATCH = 100;
/** Incremental vacuum starts when this share of the file is free pages... */
const VACUUM_START_FREE_SHARE = 0.25;
/** ...and goes on, a few pages per step, until no more than this share is left free (room for reuse). */
const VACUUM_STOP_FREE_SHARE = 0.05;
const VACUUM_PAGES_PER_STEP = 500;

const defined = (value: number | undefined): number => value ?? Number.NEGATIVE_INFINITY;

/**
 * Samples read for a rollup: at most SAMPLES_PER_ROLLUP, cut at a bucket boundary, unless the first
 * bucket alone has more (then that bucket, whole). Returns the rows and the end of what they cover.
 */
async function readRollupChunk(
  from: number,
  to: number,
  read: (range: { from: number; to: number }, limit?: number) => Promise<TimedPayload[]>,
): Promise<{ rows: TimedPayload[]; to: number }> {
  const rows = await read({ from, to }, SAMPLES_PER_ROLLUP + 1);
  const first = rows[SAMPLES_PER_ROLLUP];
  if (first === undefined) return { rows, to };
  const cut = floorTo(first.timestamp, FIVE_MINUTES);
  if (cut > from) return { rows: rows.filter((r) => r.timestamp < cut), to: cut };
  return { rows: await read({ from, to: from + FIVE_MINUTES }), to: from + FIVE_MINUTES };
}

export function createMaintenance(options: MaintenanceOptions): Maintenance {
  const { db, retentionSeconds, rollupRetentionSeconds } = options;
  let vacuuming = false;
  const warned = new Set<string>();

  /** Time before this is not rolled up: its hourly rollups would be deleted as soon as they were made. */
  const rollupFloor = (now: number) => floorTo(now - rollupRetentionSeconds, ONE_HOUR);
  /** 5-minute buckets starting before this are complete. */
  const rollupLimit = (now: number) => floorTo(now - ROLLUP_SETTLE_SECONDS, FIVE_MINUTES);

  /**
   * The rollup watermarks, kept to what can be true now: never before the rollup floor, so a sample
   * stored at -1e308 (or in 1970), or the mark it left, does not make maintenance walk from there;
   * never past the complete buckets (a clock that went back, a damaged file). Only read this way:
   * the next step writes its own mark.
   */
  function saneMarks(marks: Marks, now: number): Marks {
    const floor = rollupFloor(now);
    const clamp = (mark: number | undefined, max: number) => (mark === undefined ? undefined : Math.min(Math.max(mark, floor), max));
    const rollup300Until = clamp(marks.rollup300Until, rollupLimit(now));
    const rollup3600Until = rollup300Until === undefined ? marks.rollup3600Until : clamp(marks.rollup3600Until, floorTo(rollup300Until, ONE_HOUR));
    return { ...marks, rollup300Until, rollup3600Until };
  }

  function warnOnce(task: string, message: string): void {
    if (warned.has(task)) return;
    warned.add(task);
    options.log.warn(`maintenance: ${message}`);
  }

  /**
   * Whether a step moves its mark forward. Around ±1e20 a double cannot add a day to itself; the marks
   * are kept near `now`, so only an absurd clock gets there. The task then stops, said once, instead
   * of doing the same step forever.
   */
  function movesOn(task: string, from: number, to: number, now: number): boolean {
    if (to > from) return true;
    warnOnce(task, `${task} is stuck at ${from}: a step from there moves nothing, so it is skipped (is the clock, ${now}, right?)`);
    return false;
  }

  /** Where the next samples after `from` start, bucket-aligned: empty time is crossed in one step, however long. */
  const nextSamplesFrom = (from: number, limit: number, next: number | undefined): number =>
    next === undefined ? limit : Math.min(limit, Math.max(from, floorTo(next, FIVE_MINUTES)));

  /** Roll up the next complete 5-minute buckets after the watermark. */
  async function rollUpFiveMinutes(now: number): Promise<boolean> {
    const limit = rollupLimit(now);
    return writeTransaction(db, async (trx) => {
      let from = saneMarks(await readMarks(trx), now).rollup300Until;
      if (from === undefined) {
        // A database without a watermark (new, or from before rollups) starts at its oldest sample,
        // or at older 5-minute rows (only a damaged file has them: no watermark covers them, so
        // history does not read them, and rolling up replaces them).
        const times = [await oldestSampleTime(trx), await oldestRollupBucket(trx, FIVE_MINUTES)].filter((time) => time !== undefined);
        if (times.length === 0) return false;
        from = Math.max(floorTo(Math.min(...times), FIVE_MINUTES), rollupFloor(now));
      }
      if (from >= limit) return false;
      const start = nextSamplesFrom(from, limit, await firstSampleTime(trx, from));
      const chunk =
        start < limit
          ? await readRollupChunk(start, Math.min(limit, start + ROLLUP_CHUNK_SECONDS), (range, n) => samplesInRange(trx, range, n))
          : { rows: [], to: limit };
      if (!movesOn('rolling up 5-minute buckets', from, chunk.to, now)) return false;
      await replaceRollups(trx, FIVE_MINUTES, { from, to: chunk.to }, undefined, summariseSamples(chunk.rows, FIVE_MINUTES));
      await writeMark(trx, 'rollup300Until', chunk.to);
      return true;
    });
  }

  /** Recompute the rollups of one device that received samples for buckets already rolled up. */
  async function redoDirtyDevice(now: number): Promise<boolean> {
    return writeTransaction(db, async (trx) => {
      const dirty = await nextDirtyDevice(trx);
      if (dirty === undefined) return false;
      const marks = saneMarks(await readMarks(trx), now);
      const until = marks.rollup300Until;
      // Where raw samples are (being) deleted, or 5-minute rows are, a recomputation would lose data:
      // a sample that late is kept only until retention deletes it.
      const from = Math.max(
        floorTo(dirty.from, FIVE_MINUTES),
        defined(marks.samplesPurgedUntil),
        defined(marks.rollup300PurgedUntil),
        rollupFloor(now),
      );
      if (until === undefined || from >= until) {
        await setRollupDirtyFrom(trx, dirty.deviceId, null);
        return true;
      }
      const start = nextSamplesFrom(from, until, await firstSampleTime(trx, from, dirty.deviceId));
      const chunk =
        start < until
          ? await readRollupChunk(start, Math.min(until, start + ROLLUP_CHUNK_SECONDS), (range, n) => deviceSamples(trx, dirty.deviceId, range, n))
          : { rows: [], to: until };
      if (!movesOn('recomputing the rollups of late samples', from, chunk.to, now)) {
        // Left dirty, the device would be picked again at every step: its late samples keep the rollups they had.
        await setRollupDirtyFrom(trx, dirty.deviceId, null);
        return true;
      }
      await replaceRollups(trx, FIVE_MINUTES, { from, to: chunk.to }, dirty.deviceId, summariseSamples(chunk.rows, FIVE_MINUTES));
      if (marks.rollup3600Until !== undefined) {
        const hours = { from: floorTo(from, ONE_HOUR), to: Math.min(ceilTo(chunk.to, ONE_HOUR), marks.rollup3600Until) };
        if (hours.from < hours.to) await rebuildHourlyRollups(trx, hours, dirty.deviceId);
      }
      await setRollupDirtyFrom(trx, dirty.deviceId, chunk.to < until ? chunk.to : null);
      return true;
    });
  }

  /** Roll up the next complete hours from their 5-minute rows. */
  async function rollUpHours(now: number): Promise<boolean> {
    return writeTransaction(db, async (trx) => {
      const marks = saneMarks(await readMarks(trx), now);
      if (marks.rollup300Until === undefined) return false;
      const limit = floorTo(marks.rollup300Until, ONE_HOUR);
      let from = marks.rollup3600Until;
      if (from === undefined) {
        const oldest = await oldestRollupBucket(trx, FIVE_MINUTES);
        from = Math.min(limit, Math.max(rollupFloor(now), oldest === undefined ? limit : floorTo(oldest, ONE_HOUR)));
        await writeMark(trx, 'rollup3600Until', from);
      }
      if (from >= limit) return false;
      // Hours without 5-minute rows are crossed in one step, as empty time is for 5-minute buckets.
      const next = await firstRollupBucket(trx, FIVE_MINUTES, from);
      const start = next === undefined ? limit : Math.min(limit, Math.max(from, floorTo(next, ONE_HOUR)));
      let to = Math.min(limit, start + ROLLUP_CHUNK_SECONDS);
      const rows = await countRollups(trx, FIVE_MINUTES, { from: start, to });
      if (rows > ROWS_PER_HOURLY_ROLLUP) {
        const hours = Math.max(1, Math.floor(((to - start) / ONE_HOUR) * (ROWS_PER_HOURLY_ROLLUP / rows)));
        to = start + hours * ONE_HOUR;
      }
      if (!movesOn('rolling up hours', from, to, now)) return false;
      await rebuildHourlyRollups(trx, { from, to });
      await writeMark(trx, 'rollup3600Until', to);
      return true;
    });
  }

  /**
   * Move a purge mark forward (never back) and delete one batch below it. The mark moves first, so
   * history stops reading the source there before its rows start to go.
   */
  async function purge(
    mark: 'samplesPurgedUntil' | 'rollup300PurgedUntil' | 'rollup3600PurgedUntil',
    now: number,
    target: (marks: Marks) => number | undefined,
    remove: (trx: Db, before: number) => Promise<number>,
  ): Promise<boolean> {
    return writeTransaction(db, async (trx) => {
      const marks = await readMarks(trx);
      let before = marks[mark];
      const wanted = target(saneMarks(marks, now));
      if (wanted !== undefined && (before === undefined || wanted > before)) {
        before = wanted;
        await writeMark(trx, mark, before);
      }
      if (before === undefined) return false;
      return (await remove(trx, before)) >= DELETE_BATCH;
    });
  }

  /**
   * Pack one device-hour of rows into its block (merging what the block held: late samples repack
   * it). Only hours that ended PACK_AFTER_SECONDS ago and are rolled up (so rolling up reads rows;
   * recomputing for late samples reads both), and not below retention (those rows are going).
   * The block is compressed outside any transaction, off the event loop; the write that swaps rows
   * for the block is one short transaction.
   */
  async function packSamples(now: number): Promise<boolean> {
    if (options.packSamples === false) return false;
    const marks = saneMarks(await readMarks(db), now);
    if (marks.rollup300Until === undefined) return false;
    const range = {
      from: Math.max(defined(marks.samplesPurgedUntil), floorTo(now - retentionSeconds, ONE_HOUR)),
      to: Math.min(floorTo(now - PACK_AFTER_SECONDS, ONE_HOUR), floorTo(marks.rollup300Until, ONE_HOUR)),
    };
    if (range.from >= range.to) return false;
    const target = await nextHourToPack(db, range);
    if (target === undefined) return false;
    const rows = await rowsToPack(db, target.deviceId, target.hour);
    if (rows.length === 0) {
      // Only at times where a double cannot tell the hour's end from its start (±1e20).
      warnOnce('pack', `packing samples is stuck at ${target.hour}: its hour holds no row (is the clock, ${now}, right?)`);
      return false;
    }
    const old = await readBlock(db, target.deviceId, target.hour);
    const samples = mergeForBlock(old, rows);
    const data = await encodeBlockAsync(samples);
    await writeTransaction(db, (trx) => storeBlock(trx, target, old, rows, samples, data));
    return true;
  }

  // Only what the coarser level already holds is deleted: raw samples and 5-minute rows once their
  // hours are rolled up, so that history always finds one source for every past hour.
  const purgeSamples = (now: number) =>
    purge(
      'samplesPurgedUntil',
      now,
      (m) => (m.rollup3600Until === undefined ? undefined : Math.min(floorTo(now - retentionSeconds, ONE_HOUR), m.rollup3600Until)),
      async (trx, before) => {
        const rows = await deleteSamplesBefore(trx, before, DELETE_BATCH);
        const blocks = await deleteBlocksBefore(trx, before, BLOCK_DELETE_BATCH);
        // Either batch full: say "more to do" with the count purge() compares against.
        return rows >= DELETE_BATCH || blocks >= BLOCK_DELETE_BATCH ? DELETE_BATCH : 0;
      },
    );

  const purgeRollups = (now: number, resolution: RollupResolution) => {
    const keep = resolution === FIVE_MINUTES ? Math.min(FIVE_MINUTE_RETENTION_MAX_SECONDS, rollupRetentionSeconds) : rollupRetentionSeconds;
    return purge(
      resolution === FIVE_MINUTES ? 'rollup300PurgedUntil' : 'rollup3600PurgedUntil',
      now,
      (m) => {
        const cutoff = floorTo(now - keep, ONE_HOUR);
        if (resolution === ONE_HOUR) return cutoff;
        return m.rollup3600Until === undefined ? undefined : Math.min(cutoff, m.rollup3600Until);
      },
      (trx, before) => deleteRollupsBefore(trx, resolution, before, DELETE_BATCH),
    );
  };

  async function pragmaNumber(name: 'auto_vacuum' | 'freelist_count' | 'page_count'): Promise<number> {
    const rows = await sql<Record<string, number>>`pragma ${sql.raw(name)}`.execute(db);
    return Number(rows.rows[0]?.[name] ?? 0);
  }

  /**
   * Freed pages are reused by new rows, which keeps a steady-state file from growing; after a large
   * purge the file is also given back to the disk, a few pages per step, if it was created with
   * auto_vacuum = INCREMENTAL (backend/store/db.ts does that for new files).
   */
  async function vacuumStep(): Promise<boolean> {
    // PostgreSQL's autovacuum does this itself.
    if (isPostgres(db)) return false;
    // 2 = INCREMENTAL; 0 (NONE, a file created before fleetmon set it) cannot give pages back.
    if ((await pragmaNumber('auto_vacuum')) !== 2) return false;
    const free = await pragmaNumber('freelist_count');
    const pages = await pragmaNumber('page_count');
    if (!vacuuming && free > pages * VACUUM_START_FREE_SHARE) {
      vacuuming = true;
      options.log.info(`database has ${free} free pages of ${pages}: giving space back to the disk`);
    }
    if (vacuuming && free <= pages * VACUUM_STOP_FREE_SHARE) vacuuming = false;
    if (!vacuuming) return false;
    const release = Math.min(VACUUM_PAGES_PER_STEP, free - Math.floor(pages * VACUUM_STOP_FREE_SHARE));
    await writeTransaction(db, async (trx) => {
      // better-sqlite3 runs a statement that returns no columns for one step only, and this pragma
      // releases one page per step: one call per page, in one transaction.
      for (let i = 0; i < release; i++) await sql`pragma incremental_vacuum(1)`.execute(trx);
    });
    if ((await pragmaNumber('freelist_count')) >= free) {
      // A step that frees nothing would be tried again at once, forever.
      vacuuming = false;
      warnOnce('vacuum', `giving free pages back to the disk freed none of ${free}; stopped until the next pass`);
      return false;
    }
    return true;
  }

  async function runOnce(): Promise<MaintenanceReport> {
    const now = options.now();
    const worked = [
      await rollUpFiveMinutes(now),
      await redoDirtyDevice(now),
      await rollUpHours(now),
      await packSamples(now),
      await purgeSamples(now),
      await purgeRollups(now, FIVE_MINUTES),
      await purgeRollups(now, ONE_HOUR),
      await vacuumStep(),
    ];
    return { idle: !worked.some(Boolean) };
  }

  return {
    runOnce,
    async runUntilIdle() {
      // Yield between steps so requests get the connection in between.
      while (!(await runOnce()).idle) await new Promise((resolveStep) => setImmediate(resolveStep));
    },
  };
}
