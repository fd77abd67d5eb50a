// The SQLite ingest path (compiled validator, body stored as sent, prepared statements, cached
// device and alert state) against the Kysely path it replaces on SQLite: the same few thousand
// posts, on the same clock, into two databases, must give the same answers and the same rows.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulatedMachine } from '../../agent/sim/machine.js';
import { createRng } from '../../agent/sim/random.js';
import { buildNotifyConfig } from '../notify/config.js';
import type { RunningBackend } from '../server.js';
import { TEST_START_TIME, queryDb, request, startTestBackend, tempDir } from './helpers.js';
import { healthyExample, originalExample } from './payloads.js';

interface Side {
  dbPath: string;
  backend: RunningBackend;
}

const notify = () =>
  buildNotifyConfig(
    {
      receivers: [
        { name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/hook' },
        { name: 'grouped', type: 'webhook', url: 'http://127.0.0.1:9/grouped' },
      ],
      routes: [
        { device: 'sim-*', receivers: 'hook' },
        { rule: 'disk_space_low', receivers: 'grouped', group_by: 'device' },
        { device: 'demo-*', receivers: 'hook' },
      ],
      flap_threshold: 3,
      flap_window: '30m',
    },
    null,
  );

const fixtureDir = join(import.meta.dirname, 'fixtures/original-agent');
const originalAgentBodies = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => readFileSync(join(fixtureDir, f), 'utf8'));

/** One request: a body as sent on the wire, and the clock step before it. */
interface Post {
  body: string;
  step: number;
}

/** Simulated machines (faults on, so alerts cross), original-agent bodies, late samples, retries and bad bodies. */
function posts(): Post[] {
  const rng = createRng(7);
  const machines = Array.from({ length: 30 }, (_, i) => createSimulatedMachine(`sim-${i}`, rng, { faultRate: 0.5, intervalSeconds: 10 }));
  const out: Post[] = [];
  const bad = [
    '{"agent_id": "x y"}',
    '{"agent_id": "a", "cpu": {"total_percent": 101}}',
    '{"agent_id": "a", "cpu": {"total_percent": 1e999}}',
    '[1, 2]',
    '"text"',
    '{"agent_id": "a", "disks": [{"percent": 5}]}',
    '{"agent_id": "a", "zombie_processes": 1.5}',
    '{"agent_id": "a", "age_seconds": 99999999}',
    `{"agent_id": "a", "sensors_temperature": {${Array.from({ length: 257 }, (_, i) => `"c${i}": []`).join(',')}}}`,
    `{"agent_id": "${'x'.repeat(129)}"}`,
    '{"agent_id": "a", "custom_message": "' + '\\ud83d\\ude00'.repeat(600) + '"}',
    '{"agent_id": "a", "host": null}',
    `{"agent_id": "a", "custom_message": "${'😀'.repeat(600)}"}`,
    '{"agent_id": "a", "__proto__": {"x": 1}, "cpu": {"total_percent": 5}}',
    '{"agent_id": "a", "sample_id": ""}',
    '{"agent_id": "a", "interval_seconds": 0}',
    '{"agent_id": "a", "unknown": ' + '['.repeat(70) + ']'.repeat(70) + '}',
  ];
  let tick = 0;
  for (let round = 0; round < 70; round++) {
    for (const machine of machines) {
      const payload = machine.next(TEST_START_TIME + tick * 10) as Record<string, unknown>;
      // Every third machine's samples carry no sample_id (as the bench's), some arrive late.
      if (machines.indexOf(machine) % 3 === 0) delete payload.sample_id;
      if (round % 9 === 4 && machines.indexOf(machine) % 4 === 1) payload.age_seconds = 3600 * 3;
      out.push({ body: JSON.stringify(payload), step: 1 });
      // A retry of an acknowledged send: the same sample_id again.
      if (round % 7 === 3 && payload.sample_id !== undefined) out.push({ body: JSON.stringify(payload), step: 0 });
    }
    tick++;
    out.push({ body: originalAgentBodies[round % originalAgentBodies.length]!, step: 5 });
    out.push({ body: bad[round % bad.length]!, step: 0 });
    // Crossing a threshold and back, with for:-less and pending rules, and unknown fields kept.
    const cpu = round % 4 < 2 ? 97 : 10;
    out.push({ body: JSON.stringify({ ...healthyExample, agent_id: 'demo-1', cpu: { total_percent: cpu }, extra: { a: [1, { b: null }] } }), step: 2 });
    out.push({ body: JSON.stringify({ ...originalExample, agent_id: round % 2 === 0 ? 'demo-2' : '', custom_message: 'ok 😀 é' }), step: 2 });
    // Keys in another order than the schema's, and whitespace as Python's json.dumps writes it.
    out.push({ body: `{"memory": {"percent": ${round % 5 === 0 ? 99 : 20}}, "agent_id": "demo-3", "disks": [{"percent": ${round % 3 === 0 ? 97 : 40}, "mountpoint": "/"}]}`, step: 3 });
  }
  return out;
}

describe('SQLite ingest path against the Kysely path', () => {
  const dir = tempDir();
  const sides: Record<'prepared' | 'kysely', Side> = {} as Record<'prepared' | 'kysely', Side>;
  let clock = TEST_START_TIME;

  beforeAll(async () => {
    for (const ingestPath of ['prepared', 'kysely'] as const) {
      const dbPath = join(dir.path, `${ingestPath}.sqlite`);
      const backend = await startTestBackend(dbPath, {
        now: () => clock,
        ingestPath,
        notify: notify(),
        notifyEveryMs: 0,
        silenceCheckEveryMs: 0,
        maintenanceEveryMs: 0,
      });
      sides[ingestPath] = { dbPath, backend };
    }
  });
  afterAll(async () => {
    for (const side of Object.values(sides)) await side.backend.close();
    await dir.remove();
  });

  it('answers every post alike and stores the same rows, across the silence check, maintenance and DELETE /devices', async () => {
    const all = posts();
    expect(all.length).toBeGreaterThan(2000);
    const both = async <T>(act: (side: Side) => Promise<T>): Promise<T> => {
      const [prepared, kysely] = [await act(sides.prepared), await act(sides.kysely)];
      expect(prepared).toEqual(kysely);
      return prepared;
    };
    const statuses = new Map<number, number>();
    for (const [i, post] of all.entries()) {
      clock += post.step;
      const answer = await both(async ({ backend }) => {
        const res = await fetch(`${backend.url}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: post.body });
        return { status: res.status, body: (await res.json()) as unknown };
      });
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (i % 500 === 250) {
        // Writers of device and alert state beside ingest: the cache must hear of them.
        clock += 600;
        await both(({ backend }) => backend.checkSilentDevices());
        await both(({ backend }) => backend.maintenance.runOnce());
        await both(async ({ backend }) => (await request(`${backend.url}/devices/sim-${i % 30}`, { method: 'DELETE' })).status);
      }
    }
    expect(statuses.get(200)).toBeGreaterThan(2000);
    expect(statuses.get(400)).toBeGreaterThan(50);

    const tables: [string, string][] = [
      ['samples', 'select * from samples order by id'],
      ['devices', 'select * from devices order by id'],
      ['alerts', 'select * from alerts order by id'],
      ['alert_state', 'select * from alert_state order by device_id, rule, subject'],
      ['alert_pending', 'select * from alert_pending order by device_id, rule, subject'],
      ['maintenance', 'select * from maintenance order by key'],
      ['rollups', 'select * from rollups order by device_id, resolution, bucket, series'],
      ['notifications', 'select * from notifications order by id'],
      ['flapping', 'select * from flapping order by device_id, rule, subject'],
    ];
    for (const [table, sql] of tables) {
      const rows = (side: Side) =>
        queryDb<Record<string, unknown>>(side.dbPath, sql).map((r) =>
          // The body is stored as sent: the same JSON, its keys perhaps in another order.
          table === 'samples' ? { ...r, payload: JSON.parse(r.payload as string) as unknown } : r,
        );
      const prepared = rows(sides.prepared);
      expect(prepared.length, table).toBeGreaterThan(table === 'flapping' || table === 'alert_pending' ? -1 : 0);
      expect(prepared, table).toEqual(rows(sides.kysely));
    }
    expect(queryDb<{ n: number }>(sides.prepared.dbPath, 'select count(*) as n from alerts')[0]!.n).toBeGreaterThan(100);
    for (const path of ['/metrics', '/devices', '/alerts?limit=500', '/alerts/active']) {
      await both(async ({ backend }) => {
        const res = await request(`${backend.url}${path}`);
        return { status: res.status, body: res.body };
      });
    }
  }, 300_000);
});
