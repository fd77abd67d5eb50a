// Group commit: concurrent samples share transactions, yet each is stored, judged and acknowledged
// exactly as if it had come alone, and one that fails takes no other down with it.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricsPayload } from '../shared/payload.js';
import { builtInRules, type RuleSet } from './alerts/rule-set.js';
import { COMMIT_DELAY_MS, IngestQueue } from './ingest.js';
import { type OpenedDatabase, openDatabase } from './store/db.js';
import { migrateToLatest } from './store/migrate.js';
import { queryDb, tempDir } from './test/helpers.js';
import { healthyExample, originalExample, withAgent } from './test/payloads.js';

let dir: ReturnType<typeof tempDir>;
let dbPath: string;
let database: OpenedDatabase;

beforeEach(async () => {
  dir = tempDir();
  dbPath = join(dir.path, 'monitor.sqlite');
  database = openDatabase(dbPath);
  await migrateToLatest(database.db);
});

afterEach(async () => {
  await database.close();
  await dir.remove();
});

describe('IngestQueue', () => {
  it('stores 300 concurrent samples of 30 devices once each, with the alerts a one-by-one ingest gives', async () => {
    const queue = new IngestQueue(database.db, builtInRules());
    const payloads: MetricsPayload[] = [];
    for (let round = 0; round < 10; round++) {
      for (let d = 0; d < 30; d++) payloads.push(withAgent(round % 2 === 0 ? originalExample : healthyExample, `host-${d}`));
    }
    const results = await Promise.all(payloads.map((p, i) => queue.submit(p, 1000 + Math.floor(i / 30))));
    expect(results.every((r) => r.outcome === 'new')).toBe(true);
    expect(new Set(results.map((r) => r.sampleId)).size).toBe(300);
    // 5 bad rounds and 5 good ones per device: 12 fired + 12 recovered each time.
    expect(queryDb(dbPath, 'select kind, count(*) as n from alerts group by kind order by kind')).toEqual([
      { kind: 'fired', n: 30 * 5 * 12 },
      { kind: 'recovered', n: 30 * 5 * 12 },
    ]);
    expect(queryDb(dbPath, 'select count(*) as n from samples')).toEqual([{ n: 300 }]);
  });

  it('under load waits a millisecond for more samples before a transaction; once samples come one at a time, none waits', async () => {
    const sizes: number[] = [];
    const queue = new IngestQueue(database.db, builtInRules(), undefined, undefined, undefined, undefined, (size) => sizes.push(size));
    const send = (id: string) => queue.submit(withAgent(healthyExample, id), 1000);
    const ioRound = () => new Promise((resolve) => setImmediate(resolve));
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      // Alone, and after a transaction of one: stored with no timer run (it would hang otherwise).
      await send('a');
      await Promise.all([send('b'), send('c')]);
      // After a transaction of two: a sample sent several rounds of I/O after another still joins it.
      const first = send('d');
      for (let i = 0; i < 4; i++) await ioRound();
      const second = send('e');
      vi.advanceTimersByTime(COMMIT_DELAY_MS);
      await Promise.all([first, second]);
    } finally {
      vi.useRealTimers();
    }
    expect(sizes).toEqual([1, 2, 2]);
    expect(queryDb(dbPath, 'select count(*) as n from samples')).toEqual([{ n: 5 }]);
  });

  it('fails only the sample at fault when a batch cannot be written', async () => {
    const rules = builtInRules();
    const failing: RuleSet = {
      ...rules,
      forDevice: (id) => {
        if (id === 'broken') throw new Error('rule lookup failed');
        return rules.forDevice(id);
      },
    };
    const queue = new IngestQueue(database.db, failing);
    const outcomes = await Promise.allSettled(['a', 'b', 'broken', 'c'].map((id) => queue.submit(withAgent(healthyExample, id), 1000)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(queryDb(dbPath, 'select device_id from samples order by device_id')).toEqual([{ device_id: 'a' }, { device_id: 'b' }, { device_id: 'c' }]);
  });
});
