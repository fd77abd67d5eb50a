// History, rollups and retention read and delete through indexes: a week of 10-second samples
// must cost a range of an index, never a scan of the table.
import { join } from 'node:path';
import type { Compilable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.js';
import { createMaintenance } from '../maintenance.js';
import { insertSamples, knownPayload } from '../test/history-fixtures.js';
import { tempDir } from '../test/helpers.js';
import { queryPlan } from '../test/query-plan.js';
import { type OpenedDatabase, openDatabase } from './db.js';
import { migrateToLatest } from './migrate.js';
import { deleteRollupsBeforeQuery, deviceRollupsQuery, firstRollupBucketQuery, rollupWatermarkQuery } from './rollups.js';
import {
  deleteSamplesBeforeQuery,
  deviceSampleColumnsQuery,
  deviceSamplesQuery,
  firstSampleTimeQuery,
  samplesInRangeQuery,
} from './sample-history.js';
import {
  blocksAroundQuery,
  blocksInRangeQuery,
  blocksBeforeQuery,
  deviceBlocksQuery,
  firstPackedTimeQuery,
  nextRowToPackQuery,
  rowsToPackQuery,
} from './sample-blocks.js';

let dir: ReturnType<typeof tempDir>;
let database: OpenedDatabase;
const t0 = 1_700_000_000;
const range = { from: t0, to: t0 + 86400 };

beforeAll(async () => {
  dir = tempDir();
  database = openDatabase(join(dir.path, 'plans.sqlite'));
  await migrateToLatest(database.db);
  // Some data and statistics, so the planner chooses as it would on a real file.
  insertSamples(database.sqlite, { devices: ['a', 'b', 'c'], from: t0, to: t0 + 2 * 86400, every: 60, payload: knownPayload });
  const now = t0 + 2 * 86400;
  await createMaintenance({ db: database.db, now: () => now, log: silentLogger, retentionSeconds: 86400, rollupRetentionSeconds: 86400 }).runUntilIdle();
  database.sqlite.exec('analyze');
});

afterAll(async () => {
  await database.close();
  await dir.remove();
});

const plan = (query: Compilable): string => queryPlan(database.sqlite, query);

describe('query plans of history, rollups and retention', () => {
  it("history reads a device's samples as a range of samples_device_time", () => {
    for (const query of [deviceSamplesQuery(database.db, 'a', range), deviceSampleColumnsQuery(database.db, 'a', range)]) {
      const p = plan(query);
      expect(p).toMatch(/SEARCH samples USING INDEX samples_device_time \(device_id=\? AND timestamp>\? AND timestamp<\?\)/);
      expect(p).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("history reads a device's rollups as a range of the rollups primary key", () => {
    const p = plan(deviceRollupsQuery(database.db, 'a', 300, range));
    expect(p).toMatch(/SEARCH rollups USING PRIMARY KEY \(device_id=\? AND resolution=\? AND bucket>\? AND bucket<\?\)/);
  });

  it('rollups walk all samples by time through samples_time, in index order', () => {
    const p = plan(samplesInRangeQuery(database.db, range, 4001));
    expect(p).toMatch(/SEARCH samples USING INDEX samples_time \(timestamp>\? AND timestamp<\?\)/);
    expect(p).not.toMatch(/TEMP B-TREE/);
  });

  it('rollups find where the next data starts (to cross empty time in one step) by seeks, never a scan', () => {
    const all = plan(firstSampleTimeQuery(database.db, t0));
    expect(all).toMatch(/SEARCH samples USING (COVERING )?INDEX samples_time \(timestamp>\?\)/);
    const device = plan(firstSampleTimeQuery(database.db, t0, 'a'));
    expect(device).toMatch(/SEARCH samples USING (COVERING )?INDEX samples_device_time \(device_id=\? AND timestamp>\?\)/);
    for (const p of [all, device]) expect(p).not.toMatch(/TEMP B-TREE|SCAN/);
    // Across devices: one seek of the primary key per device (the devices found by seeks too).
    const rollups = plan(firstRollupBucketQuery(database.db, 300, t0));
    expect(rollups).toMatch(/SEARCH rollups USING PRIMARY KEY \(device_id=\? AND resolution=\? AND bucket>\?\)/);
    expect(rollups).toMatch(/SEARCH rollups USING PRIMARY KEY \(device_id>\?\)/);
    expect(rollups).not.toMatch(/SCAN rollups|TEMP B-TREE/);
  });

  it('ingest finds the rollup watermark by primary key', () => {
    expect(plan(rollupWatermarkQuery(database.db))).toMatch(/SEARCH maintenance USING INDEX sqlite_autoindex_maintenance_1 \(key=\?\)/);
  });

  it('retention deletes the oldest rows by seeks (samples by time, rollups per device), never a scan', () => {
    const samples = plan(deleteSamplesBeforeQuery(database.db, t0 + 3600, 2000));
    expect(samples).toMatch(/SEARCH samples USING (COVERING )?INDEX samples_time \(timestamp<\?\)/);
    expect(samples).not.toMatch(/SCAN samples/);
    const rollups = plan(deleteRollupsBeforeQuery(database.db, 300, t0 + 3600, 2000));
    expect(rollups).toMatch(/SEARCH rollups USING PRIMARY KEY \(device_id=\? AND resolution=\? AND bucket<\?\)/);
    expect(rollups).not.toMatch(/SCAN rollups/);
  });

  it("history, export and retry lookups read a device's blocks as a range of the sample_blocks primary key", () => {
    for (const query of [deviceBlocksQuery(database.db, 'a', range), blocksAroundQuery(database.db, 'a', t0)]) {
      const p = plan(query);
      expect(p).toMatch(/SEARCH sample_blocks USING INDEX sqlite_autoindex_sample_blocks_1 \(device_id=\? AND hour>\? AND hour<\?\)/);
      expect(p).not.toMatch(/TEMP B-TREE|SCAN/);
    }
  });

  it('rollups and retention walk blocks of all devices through the hour index', () => {
    expect(plan(blocksInRangeQuery(database.db, range))).toMatch(/SEARCH sample_blocks USING INDEX sample_blocks_hour \(hour>\? AND hour<\?\)/);
    expect(plan(firstPackedTimeQuery(database.db, t0))).toMatch(/SEARCH sample_blocks USING INDEX sample_blocks_hour \(hour>\?\)/);
    expect(plan(firstPackedTimeQuery(database.db, t0, 'a'))).toMatch(/SEARCH sample_blocks USING INDEX sqlite_autoindex_sample_blocks_1 \(device_id=\? AND hour>\?\)/);
    const remove = plan(blocksBeforeQuery(database.db, t0 + 3600, 100));
    expect(remove).toMatch(/SEARCH sample_blocks USING (COVERING )?INDEX sample_blocks_hour \(hour<\?\)/);
    for (const p of [plan(blocksInRangeQuery(database.db, range)), remove]) expect(p).not.toMatch(/TEMP B-TREE|SCAN sample_blocks/);
  });

  it('the packer finds the next hour to pack by the time index and its rows by the device-time index', () => {
    const next = plan(nextRowToPackQuery(database.db, range));
    expect(next).toMatch(/SEARCH samples USING INDEX samples_time \(timestamp>\? AND timestamp<\?\)/);
    expect(next).not.toMatch(/SCAN samples|TEMP B-TREE/);
    const rows = plan(rowsToPackQuery(database.db, 'a', t0));
    expect(rows).toMatch(/SEARCH samples USING INDEX samples_device_time \(device_id=\? AND timestamp>\? AND timestamp<\?\)/);
    expect(rows).not.toMatch(/SCAN samples|TEMP B-TREE/);
  });
});
