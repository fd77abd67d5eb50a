// Times at the edge of what a double holds must not stop maintenance: a sample measured 1e308 s ago
// is refused at the door, and whatever times a database already holds (a sample at -1e308 stored
// before that, a damaged mark, a clock gone wild), every maintenance pass ends, and retention holds.
import { spawn } from 'node:child_process';
import type SQLite from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/payload.js';
import { floorTo } from '../history/aggregate.js';
import type { Logger } from '../log.js';
import { FIVE_MINUTE_RETENTION_MAX_SECONDS, type Maintenance, createMaintenance } from '../maintenance.js';
import { MARKS, type MarkName } from '../store/rollups.js';
import { TEST_START_TIME, backendCli, backendForEachTest, postJson, queryDb, testConfig } from './helpers.js';
import { healthyExample, withAgent } from './payloads.js';

const day = 86400;
const hour = 3600;
const { retentionSeconds, rollupRetentionSeconds } = testConfig('');

const t = backendForEachTest({ maintenanceEveryMs: 0, silenceCheckEveryMs: 0 });

/** Steps of maintenance until it is idle; fails after `max` instead of spinning for ever. */
async function stepsUntilIdle(maintenance: Maintenance, max: number): Promise<number> {
  for (let steps = 1; steps <= max; steps++) if ((await maintenance.runOnce()).idle) return steps;
  throw new Error(`maintenance still busy after ${max} steps`);
}

/** A sample written straight into the file, as one stored before ages were bounded would be; it becomes its device's latest if newer. */
function insertSampleAt(sqlite: SQLite.Database, device: string, timestamp: number): void {
  const payload = JSON.stringify({ agent_id: device, cpu: { total_percent: 50 } });
  const { lastInsertRowid } = sqlite
    .prepare('insert into samples (device_id, timestamp, received_at, cpu_percent, payload) values (?, ?, ?, 50, ?)')
    .run(device, timestamp, TEST_START_TIME, payload);
  sqlite
    .prepare(
      `insert into devices (id, first_seen, last_seen, latest_sample_id) values (?, ?, ?, ?)
       on conflict (id) do update set
         first_seen = min(first_seen, excluded.first_seen),
         latest_sample_id = iif(excluded.last_seen >= last_seen, excluded.latest_sample_id, latest_sample_id),
         last_seen = max(last_seen, excluded.last_seen)`,
    )
    .run(device, timestamp, timestamp, lastInsertRowid);
}

const writeMark = (sqlite: SQLite.Database, name: MarkName, value: number) =>
  sqlite.prepare('insert or replace into maintenance (key, value) values (?, ?)').run(MARKS[name], value);

const sampleCount = (): number => queryDb<{ n: number }>(t.dbPath, 'select count(*) as n from samples')[0]?.n ?? -1;

describe('a sample from the far past', () => {
  it('is refused with 400 naming the bound, and leaves maintenance idle', async () => {
    const answer = await postJson<{ error: string; details: unknown[] }>(`${t.backend.url}/metrics`, { agent_id: 't', age_seconds: 1e308 });
    expect(answer.status).toBe(400);
    expect(answer.body.details).toContainEqual({ field: 'age_seconds', message: `must be at most ${LIMITS.ageMaxSeconds} (10 years)` });
    expect(sampleCount()).toBe(0);
    expect(await t.backend.maintenance.runOnce()).toEqual({ idle: true });
  });

  it('already stored (with the watermark stuck at its time) no longer stops rollups: they go on at once', async () => {
    const sqlite = t.backend.database.sqlite;
    insertSampleAt(sqlite, 't', -1e308);
    writeMark(sqlite, 'rollup300Until', -1e308);
    expect((await postJson(`${t.backend.url}/metrics`, withAgent(healthyExample, 'web'))).status).toBe(200);
    t.clock += hour;
    await stepsUntilIdle(t.backend.maintenance, 20);
    expect(queryDb(t.dbPath, "select bucket from rollups where device_id = 'web' and resolution = 300 and series = 'cpu'")).toEqual([
      { bucket: floorTo(TEST_START_TIME, 300) },
    ]);
    expect(queryDb(t.dbPath, 'select value from maintenance where key = ?', MARKS.rollup300Until)).toEqual([{ value: floorTo(t.clock - 60, 300) }]);
    // The old sample is its device's latest, which retention always keeps (GET /metrics shows it).
    expect(queryDb(t.dbPath, "select timestamp from samples where device_id = 't'")).toEqual([{ timestamp: -1e308 }]);
  });
});

/** `fleetmon-backend maintenance` run to its end, or killed after `timeoutMs` (it used to spin for ever). */
function runMaintenanceCli(dbPath: string, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [backendCli, 'maintenance', '--db', dbPath], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    child.once('exit', (code, signal) => done({ code, signal, output }));
  });
}

describe('fleetmon-backend maintenance', () => {
  it('finishes on a database holding a sample from -1e308', async () => {
    insertSampleAt(t.backend.database.sqlite, 't', -1e308);
    writeMark(t.backend.database.sqlite, 'rollup300Until', -1e308);
    const run = await runMaintenanceCli(t.dbPath, 20_000);
    expect(run).toMatchObject({ code: 0, signal: null, output: expect.stringMatching(/maintenance of .* done/) });
  });
});

describe('maintenance under a clock no double can step from', () => {
  it('stops the task that cannot move, says so once, and goes idle', async () => {
    const now = 1e22;
    const warnings: string[] = [];
    const log: Logger = { info() {}, warn: (...args) => warnings.push(args.join(' ')), error() {} };
    insertSampleAt(t.backend.database.sqlite, 'wild', now - 2e7);
    const maintenance = createMaintenance({ db: t.backend.database.db, now: () => now, log, retentionSeconds, rollupRetentionSeconds });
    expect(await stepsUntilIdle(maintenance, 5)).toBeLessThanOrEqual(2);
    expect(await stepsUntilIdle(maintenance, 5)).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/rolling up 5-minute buckets is stuck at .*moves nothing/);
  });
});

// Times as a damaged or pre-fix database may hold them: the extremes a double has, and times near now.
const anyTime = fc.oneof(
  fc.constantFrom(-1e308, 1e308, -Number.MAX_VALUE, Number.MAX_VALUE, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 0, -1, 2 ** 53, -(2 ** 53), 1e15),
  fc.double({ noNaN: true }),
  fc.double({ min: -1e12, max: 1e12, noNaN: true }).map((d) => TEST_START_TIME + d),
  fc.integer({ min: -400 * day, max: 2 * day }).map((d) => TEST_START_TIME + d),
);
const device = fc.constantFrom('a', 'b', 'c');
const markNames = Object.keys(MARKS) as MarkName[];
const database = fc.record({
  samples: fc.array(fc.record({ device, timestamp: anyTime }), { maxLength: 30 }),
  rollups: fc.array(fc.record({ device, resolution: fc.constantFrom(300, 3600), bucket: anyTime }), { maxLength: 10 }),
  marks: fc.array(fc.record({ name: fc.constantFrom(...markNames), value: anyTime }), { maxLength: 5 }),
  dirty: fc.array(fc.record({ device, from: anyTime }), { maxLength: 3 }),
});

describe('maintenance over any times a database holds', () => {
  it('ends each pass within a bounded number of steps, and then retention holds', async () => {
    const sqlite = t.backend.database.sqlite;
    // Hundreds of commits per run: the disk sync is not what this test is about.
    sqlite.pragma('synchronous = OFF');
    await fc.assert(
      fc.asyncProperty(database, async (db) => {
        sqlite.exec('delete from samples; delete from devices; delete from rollups; delete from maintenance');
        t.clock = TEST_START_TIME;
        for (const s of db.samples) insertSampleAt(sqlite, s.device, s.timestamp);
        const rollup = sqlite.prepare("insert or ignore into rollups (device_id, resolution, bucket, series, avg, max, count) values (?, ?, ?, 'cpu', 1, 1, 1)");
        for (const r of db.rollups) rollup.run(r.device, r.resolution, r.bucket);
        for (const m of db.marks) writeMark(sqlite, m.name, m.value);
        for (const d of db.dirty) sqlite.prepare('update devices set rollup_dirty_from = ? where id = ?').run(d.from, d.device);

        // A step per stretch of data (a day at most), never one per day of empty time.
        const bound = db.samples.length + db.rollups.length + 10;
        for (const advance of [0, 40 * day]) {
          t.clock += advance;
          await stepsUntilIdle(t.backend.maintenance, bound);
        }

        // Retention deletes whole hours, and keeps each device's latest sample whatever its age (GET /metrics shows it).
        const now = t.clock;
        const old = queryDb(
          t.dbPath,
          'select device_id, timestamp from samples where timestamp < ? and id not in (select latest_sample_id from devices where latest_sample_id is not null)',
          floorTo(now - retentionSeconds, hour),
        );
        expect(old).toEqual([]);
        const fiveMinuteKeep = Math.min(FIVE_MINUTE_RETENTION_MAX_SECONDS, rollupRetentionSeconds);
        const oldRollups = queryDb(
          t.dbPath,
          'select resolution, bucket from rollups where (resolution = 300 and bucket < ?) or (resolution = 3600 and bucket < ?)',
          floorTo(now - fiveMinuteKeep, hour),
          floorTo(now - rollupRetentionSeconds, hour),
        );
        expect(oldRollups).toEqual([]);
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});
