// Two backends on one PostgreSQL database: each device's samples are judged one after another
// whichever backend takes them, different devices are written in parallel, and the live stream of
// either backend carries what the other stored.
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../agent/test/processes.js';
import { LISTENER_APPLICATION_NAME } from '../store/notify-channel.js';
import { ADVISORY_LOCK_SPACE, DEVICE_LOCK_SPACE } from '../store/write-transaction.js';
import type { RunningBackend } from '../server.js';
import { type EventStream, openEventStream } from './event-stream.js';
import { TEST_START_TIME, postJson, queryDb, startTestBackend, tempDir, testDatabaseLocation } from './helpers.js';
import { healthyExample, withAgent } from './payloads.js';

const problem = { ...healthyExample, cpu: { total_percent: 95 } };

interface Pair {
  dir: ReturnType<typeof tempDir>;
  dbPath: string;
  clock: number;
  a: RunningBackend;
  b: RunningBackend;
  /** A connection of the test's own (psql's part: holding a device's lock by hand). */
  sql: pg.Client;
}

const t = {} as Pair;
const streams: EventStream[] = [];

/** Two backends on the test's database, timers off, on one clock the test drives. */
async function startPair(lockTimeoutMs = 5000): Promise<void> {
  const options = { now: () => t.clock, silenceCheckEveryMs: 0, maintenanceEveryMs: 0, notifyEveryMs: 0 };
  t.a = await startTestBackend(t.dbPath, options, { lockTimeoutMs });
  t.b = await startTestBackend(t.dbPath, options, { lockTimeoutMs });
}

beforeEach(async () => {
  t.dir = tempDir();
  t.dbPath = join(t.dir.path, 'monitor.sqlite');
  t.clock = TEST_START_TIME;
  t.sql = new pg.Client(testDatabaseLocation(t.dbPath));
});

afterEach(async () => {
  await t.sql.end().catch(() => {});
  // Backends first: closing ends their streams at once (a client that aborts first is noticed only later).
  await t.a?.close();
  await t.b?.close();
  for (const s of streams.splice(0)) s.close();
  await t.dir.remove();
});

const open = async (backend: RunningBackend) => {
  const stream = await openEventStream(`${backend.url}/events`);
  streams.push(stream);
  return stream;
};

/** Transactions waiting for an advisory lock of a key space (fleetmon's write lock, or devices' locks), as PostgreSQL sees them. */
async function waiting(space: number): Promise<number> {
  const { rows } = await t.sql.query<{ n: number }>("select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = $1::oid and not granted", [space]);
  return rows[0]!.n;
}

const waitingForDeviceLocks = () => waiting(DEVICE_LOCK_SPACE);

/** Begin a transaction on the test's connection that holds `device`'s lock, as another writer would. */
async function holdDeviceLock(device: string): Promise<void> {
  await t.sql.query('begin');
  await t.sql.query('select pg_advisory_xact_lock($1, hashtext($2))', [DEVICE_LOCK_SPACE, device]);
}

const alertsOf = (device: string) =>
  queryDb<{ alert: string; kind: string; timestamp: number }>(t.dbPath, 'select alert, kind, timestamp from alerts where device_id = ? order by id', device);

/**
 * POST the bodies at once, alternately to backend A and B, while the test holds the write lock (as
 * maintenance would) until both backends wait for it: then both go at the device together. The
 * answers' statuses, in the bodies' order.
 */
async function race(bodies: readonly unknown[]): Promise<number[]> {
  await t.sql.query('begin');
  await t.sql.query('select pg_advisory_xact_lock($1, 0)', [ADVISORY_LOCK_SPACE]);
  const answers = Promise.all(bodies.map((body, i) => postJson(`${(i % 2 === 0 ? t.a : t.b).url}/metrics`, body)));
  await waitFor('both backends waiting for the write lock', async () => (await waiting(ADVISORY_LOCK_SPACE)) === 2);
  await t.sql.query('commit');
  return (await answers).map((r) => r.status);
}

describe('two backends on one PostgreSQL database', () => {
  beforeEach(async () => {
    await startPair();
    await t.sql.connect();
  });

  it("write different devices in parallel: a device's sample waits only for its own lock, then is stored", async () => {
    await postJson(`${t.a.url}/metrics`, withAgent(healthyExample, 'web-1'));
    await holdDeviceLock('web-1');

    // web-1's samples wait (through either backend) ...
    const throughA = postJson(`${t.a.url}/metrics`, { ...withAgent(healthyExample, 'web-1'), sample_id: 'a' });
    await waitFor('web-1 waiting for its lock on backend A', async () => (await waitingForDeviceLocks()) === 1);
    // ... while another device's sample is stored at once ...
    expect((await postJson(`${t.b.url}/metrics`, withAgent(healthyExample, 'web-2'))).status).toBe(200);
    expect(queryDb(t.dbPath, "select count(*)::int as n from samples where device_id = 'web-2'")).toEqual([{ n: 1 }]);
    const throughB = postJson(`${t.b.url}/metrics`, { ...withAgent(healthyExample, 'web-1'), sample_id: 'b' });
    await waitFor('web-1 waiting for its lock on both backends', async () => (await waitingForDeviceLocks()) === 2);
    expect(queryDb(t.dbPath, "select count(*)::int as n from samples where device_id = 'web-1'")).toEqual([{ n: 1 }]);

    // ... and both are stored once the lock is let go.
    await t.sql.query('commit');
    expect((await throughA).status).toBe(200);
    expect((await throughB).status).toBe(200);
    expect(queryDb(t.dbPath, "select sample_id from samples where device_id = 'web-1' order by sample_id")).toEqual([{ sample_id: 'a' }, { sample_id: 'b' }, { sample_id: null }]);
  });

  it('judge concurrent samples of one device one after another: each problem fires once and recovers once', async () => {
    let n = 0;
    // Eight samples at once through each backend, all alike, so that any order gives the same alerts.
    const burst = (payload: typeof healthyExample) => race(Array.from({ length: 16 }, () => ({ ...withAgent(payload, 'db-1'), sample_id: `s${n++}` })));
    for (let round = 0; round < 3; round++) {
      expect(await burst(problem)).toEqual(Array(16).fill(200));
      t.clock += 10;
      expect(await burst(healthyExample)).toEqual(Array(16).fill(200));
      t.clock += 10;
    }
    const once = [
      { alert: 'High CPU usage', kind: 'fired', timestamp: expect.any(Number) },
      { alert: 'High CPU usage - recovered', kind: 'recovered', timestamp: expect.any(Number) },
    ];
    expect(alertsOf('db-1')).toEqual([...once, ...once, ...once]);
    expect(queryDb(t.dbPath, "select count(*)::int as n from samples where device_id = 'db-1'")).toEqual([{ n: 96 }]);
    expect(queryDb(t.dbPath, "select count(*)::int as n from alert_state where device_id = 'db-1'")).toEqual([{ n: 0 }]);
  });

  it('judge one device in time order across backends: a sample older than the latest goes to history only', async () => {
    let n = 0;
    for (let round = 0; round < 4; round++) {
      t.clock += 100;
      // Measured 0 to 15 s ago, in a shuffled order, problems and health mixed.
      const samples = Array.from({ length: 16 }, (_, i) => ({ ...withAgent(i % 4 < 2 ? problem : healthyExample, 'db-2'), sample_id: `r${n++}`, age_seconds: (i * 7) % 16 }));
      expect(await race(samples)).toEqual(Array(16).fill(200));
      // The newest sample is the device's latest, whichever backend took it and when.
      expect(queryDb(t.dbPath, "select last_seen from devices where id = 'db-2'")).toEqual([{ last_seen: t.clock }]);
    }
    // Alerts in the order they were stored: in time order, each fired one recovered before it fires again.
    const alerts = alertsOf('db-2');
    expect(alerts.map((a) => a.timestamp)).toEqual(alerts.map((a) => a.timestamp).sort((x, y) => x - y));
    expect(alerts.map((a) => a.kind)).toEqual(alerts.map((_, i) => (i % 2 === 0 ? 'fired' : 'recovered')));
  });

  it("stream on one backend what the other stored: samples and alerts, each once, a backend's own not twice", async () => {
    const onA = await open(t.a);
    const onB = await open(t.b);
    expect((await postJson(`${t.a.url}/metrics`, withAgent(healthyExample, 'web-a'))).status).toBe(200);
    // B heard of web-a: A's message is on the channel, ahead of anything B sends from now on.
    await onB.next((e) => e.data.type === 'sample' && e.data.device === 'web-a');

    expect((await postJson(`${t.b.url}/metrics`, withAgent(problem, 'web-b'))).status).toBe(200);
    const sample = await onA.next((e) => e.data.type === 'sample' && e.data.device === 'web-b');
    expect(sample.data).toMatchObject({ type: 'sample', device: 'web-b', timestamp: t.clock, cpu_percent: 95 });
    const fired = await onA.next((e) => e.data.type === 'alert' && e.data.device === 'web-b');
    expect(fired.data).toEqual((await onB.next((e) => e.data.type === 'alert' && e.data.device === 'web-b')).data);
    expect(fired.data).toMatchObject({ kind: 'fired', rule: 'cpu_high', alert: 'High CPU usage' });

    // A's own sample came back to it on the channel and was skipped: A's subscriber has it once.
    expect(onA.received.filter((e) => e.data.device === 'web-a')).toHaveLength(1);
    expect(onA.received.map((e) => `${e.data.device} ${e.event}`)).toEqual(['web-a sample', 'web-b sample', 'web-b alert']);
  });

  it('stream on every backend a device going offline, which the silence check of one of them found', async () => {
    expect((await postJson(`${t.a.url}/metrics`, { ...withAgent(healthyExample, 'web-d'), interval_seconds: 10 })).status).toBe(200);
    const onA = await open(t.a);
    t.clock += 61;
    expect(await t.b.checkSilentDevices()).toEqual(['web-d']);
    expect((await onA.next((e) => e.event === 'offline')).data).toEqual({ type: 'offline', device: 'web-d', timestamp: t.clock });
    expect((await onA.next((e) => e.event === 'alert')).data).toMatchObject({ device: 'web-d', rule: 'device_offline', kind: 'fired' });
  });

  it('stream an event too large for a notification, read back from the database by the other backend', async () => {
    const onA = await open(t.a);
    const onB = await open(t.b);
    // A 4,000-character mountpoint, full: it is in the sample event and in its alert twice over.
    const mountpoint = `/${'x'.repeat(3999)}`;
    const big = { ...withAgent(healthyExample, 'nas-1'), disks: [{ mountpoint, percent: 97, inode_percent: 3 }] };
    expect((await postJson(`${t.b.url}/metrics`, big)).status).toBe(200);
    const alertOnB = await onB.next((e) => e.data.type === 'alert');
    const alertOnA = await onA.next((e) => e.data.type === 'alert');
    expect(alertOnA.data).toEqual(alertOnB.data);
    expect(alertOnA.data).toMatchObject({ rule: 'disk_space_low', subject: mountpoint });
    expect(onA.received.map((e) => e.data)).toEqual(onB.received.map((e) => e.data));
    expect((onA.received[0]!.data as { fullest_disk: unknown }).fullest_disk).toEqual({ mountpoint, percent: 97 });
  });

  it('listen again after losing the connection, and make open streams reconnect to read what they missed', async () => {
    const before = await open(t.a);
    const pids = async () =>
      (await t.sql.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1 and datname = current_database() order by pid', [LISTENER_APPLICATION_NAME])).rows.map((r) => r.pid);
    const lost = await pids();
    expect(lost).toHaveLength(2);
    await t.sql.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database()', [LISTENER_APPLICATION_NAME]);
    // Listening again, A ends its streams: a dashboard's EventSource reconnects and reloads.
    await before.ended;
    await waitFor('both backends listening again', async () => {
      const now = await pids();
      return now.length === 2 && now.every((pid) => !lost.includes(pid));
    });
    const after = await open(t.a);
    expect((await postJson(`${t.b.url}/metrics`, withAgent(healthyExample, 'web-c'))).status).toBe(200);
    await after.next((e) => e.data.type === 'sample' && e.data.device === 'web-c');
  });
});

describe('a backend on PostgreSQL whose device is locked past --lock-timeout', () => {
  beforeEach(async () => {
    await startPair(300);
    await t.sql.connect();
  });

  it("answers that device's sample 503 with Retry-After, stores nothing of it, and goes on with other devices", async () => {
    await holdDeviceLock('web-1');
    const answer = await postJson<{ error: string }>(`${t.a.url}/metrics`, { ...withAgent(problem, 'web-1'), sample_id: 'late' });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(answer.body.error).toMatch(/locked by another writer/);
    expect((await postJson(`${t.a.url}/metrics`, withAgent(problem, 'web-2'))).status).toBe(200);

    await t.sql.query('commit');
    expect(queryDb(t.dbPath, "select count(*)::int as n from samples where device_id = 'web-1'")).toEqual([{ n: 0 }]);
    // The agent's retry goes through, and fires as the first try would have.
    expect((await postJson(`${t.a.url}/metrics`, { ...withAgent(problem, 'web-1'), sample_id: 'late' })).status).toBe(200);
    expect(alertsOf('web-1')).toMatchObject([{ alert: 'High CPU usage', kind: 'fired' }]);
  });
});
