// Three backends on one PostgreSQL database behind haproxy (round-robin), and kill -9 of one of
// them under load: every acknowledged sample is stored once, every problem fires once and recovers
// once, and the jobs one backend at a time runs (the silence check, maintenance) go on on a
// survivor although the killed one held them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../agent/test/processes.js';
import type { MetricsPayload } from '../../shared/payload.js';
import { OFFLINE_RULE_ID } from '../alerts/rules.js';
import { MAINTENANCE_LEASE, SILENCE_CHECK_LEASE } from '../server.js';
import { type BackendProcess, queryDb, spawnBackend, tempDir, testDatabase } from './helpers.js';
import { HAPROXY_PACKAGE_HINT, type HaproxyProcess, findHaproxy, startHaproxy } from './haproxy.js';
import { healthyExample } from './payloads.js';
import { POSTGRES_PACKAGE_HINT, findPostgresBin } from './postgres.js';

const DEVICES = 6;
const SAMPLES_PER_DEVICE = 60;
/** Acknowledged samples (of all devices) before the kill: a third of the run. */
const ACKS_BEFORE_KILL = (DEVICES * SAMPLES_PER_DEVICE) / 3;
/** Sends of one sample before the test gives up on it (a retry follows only a failed send). */
const MAX_ATTEMPTS = 20;

/** CPU of a load device's i-th sample: four calm, four above 90 %, ..., calm at the end. */
const cpuHigh = (i: number) => Math.floor(i / 4) % 2 === 1;

/** What one device's cpu_high alerts must be: fired at the first high sample, recovered at the first calm one. */
function expectedCpuAlerts(device: string): { kind: string; sample_id: string }[] {
  const alerts: { kind: string; sample_id: string }[] = [];
  for (let i = 0; i < SAMPLES_PER_DEVICE; i++) {
    if (cpuHigh(i) !== (i > 0 && cpuHigh(i - 1))) alerts.push({ kind: cpuHigh(i) ? 'fired' : 'recovered', sample_id: `${device}-${i}` });
  }
  return alerts;
}

/** The pid in a lease's owner (host:pid:pid-namespace:token). */
const leaseHolderPid = (dbUrl: string, name: string): number | undefined => {
  const row = queryDb<{ owner: string }>(dbUrl, 'select owner from leases where name = ?', name)[0];
  return row ? Number(row.owner.split(':')[1]) : undefined;
};

const ready = { postgres: findPostgresBin() !== undefined, haproxy: findHaproxy() !== undefined };
const skipReason = !ready.postgres ? POSTGRES_PACKAGE_HINT : !ready.haproxy ? HAPROXY_PACKAGE_HINT : '';

let dir: ReturnType<typeof tempDir> | undefined;
let backends: BackendProcess[] = [];
let haproxy: HaproxyProcess | undefined;
afterEach(async () => {
  await haproxy?.stop();
  for (const b of backends) if (b.child.exitCode === null && b.child.signalCode === null) await b.stop('SIGKILL');
  await dir?.remove();
  backends = [];
  haproxy = undefined;
  dir = undefined;
});

describe.skipIf(skipReason !== '')(skipReason ? `several backends behind haproxy: skipped. ${skipReason}` : 'several backends behind haproxy', () => {
  it('loses no acknowledged sample and fires no alert twice when one of three dies under load; a survivor takes over its jobs', { timeout: 90_000 }, async () => {
    dir = tempDir();
    const db = await testDatabase(join(dir.path, 'monitor.sqlite'));
    // Devices named quiet-* go offline after 2 s of silence, so the test sees the silence check work.
    const rulesFile = join(dir.path, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify({ devices: [{ match: 'quiet-*', rules: { [OFFLINE_RULE_ID]: { threshold: 2, factor: 1 } } }] }));
    const args = ['--db', db, '--rules', rulesFile, '--silence-check-every', '200ms', '--maintenance-every', '200ms'];

    // The first backend takes both leases before the others start: it is the one that will die.
    const doomed = await spawnBackend(args);
    backends.push(doomed);
    await waitFor('the first backend to hold both leases', () =>
      [SILENCE_CHECK_LEASE, MAINTENANCE_LEASE].every((name) => leaseHolderPid(db, name) === doomed.child.pid),
    );
    const survivors = [await spawnBackend(args), await spawnBackend(args)];
    backends.push(...survivors);
    haproxy = await startHaproxy(dir.path, backends.map((b) => b.url));
    const lb = haproxy.url;

    // Each device sends one sample at a time and sends it again (same sample_id) until it is
    // acknowledged, as the agent does: the answer to a sample in flight to the killed backend is lost.
    const acknowledged = new Map<string, number>();
    const failedSends: string[] = [];
    let killed = false;
    let reachedKillPoint!: () => void;
    const killPoint = new Promise<void>((resolve) => (reachedKillPoint = resolve));
    const sendUntilAcknowledged = async (payload: MetricsPayload & { sample_id: string }) => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        // haproxy answers 502 (an HTML page) or cuts the connection when the backend dies mid-request.
        const status = await fetch(`${lb}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }).then(
          async (answer) => {
            await answer.arrayBuffer();
            return answer.status;
          },
          (err: unknown) => `${String(err)} ${String((err as { cause?: unknown }).cause ?? '')}`,
        );
        if (status === 200) {
          const key = `${payload.agent_id}/${payload.sample_id}`;
          acknowledged.set(key, (acknowledged.get(key) ?? 0) + 1);
          if (acknowledged.size >= ACKS_BEFORE_KILL) reachedKillPoint();
          return;
        }
        failedSends.push(`${payload.sample_id}: ${status}${killed ? '' : ' (before the kill)'}`);
      }
      throw new Error(`${payload.sample_id} not acknowledged after ${MAX_ATTEMPTS} sends: ${failedSends.join(', ')}`);
    };
    const load = Array.from({ length: DEVICES }, async (_, d) => {
      for (let i = 0; i < SAMPLES_PER_DEVICE; i++) {
        const device = `lb-${d}`;
        await sendUntilAcknowledged({ ...healthyExample, agent_id: device, sample_id: `${device}-${i}`, cpu: { total_percent: cpuHigh(i) ? 95 : 12 } });
      }
    });

    await killPoint;
    doomed.child.kill('SIGKILL');
    killed = true;
    // After the kill: a device that falls silent, and a sample measured 15 minutes ago (its
    // 5-minute bucket is ready to roll up). Only a survivor can report the one and roll up the other.
    await sendUntilAcknowledged({ ...healthyExample, agent_id: 'quiet-1', sample_id: 'quiet-1-0', interval_seconds: 1 });
    await sendUntilAcknowledged({ ...healthyExample, agent_id: 'maintained-1', sample_id: 'maintained-1-0', age_seconds: 900 });
    await Promise.all(load);
    expect(await doomed.stop('SIGKILL')).toBe(null);
    expect(failedSends.filter((f) => f.endsWith('(before the kill)'))).toEqual([]);

    // Every acknowledged sample is stored, once; nothing was acknowledged that was not sent.
    const stored = queryDb<{ key: string; n: number }>(db, "select device_id || '/' || sample_id as key, count(*)::int as n from samples group by 1 order by 1");
    const loadKeys = Array.from({ length: DEVICES }, (_, d) => Array.from({ length: SAMPLES_PER_DEVICE }, (_, i) => `lb-${d}/lb-${d}-${i}`)).flat();
    const expectedKeys = [...loadKeys, 'maintained-1/maintained-1-0', 'quiet-1/quiet-1-0'].sort();
    expect([...acknowledged.keys()].sort()).toEqual(expectedKeys);
    expect(stored).toEqual(expectedKeys.map((key) => ({ key, n: 1 })));

    // Each problem fired once, at the sample that crossed the limit, and recovered once.
    for (let d = 0; d < DEVICES; d++) {
      const device = `lb-${d}`;
      const alerts = queryDb<{ kind: string; sample_id: string; rule: string }>(
        db,
        'select a.kind, s.sample_id, a.rule from alerts a join samples s on s.id = a.sample_id where a.device_id = ? order by a.id',
        device,
      );
      expect(alerts, device).toEqual(expectedCpuAlerts(device).map((a) => ({ ...a, rule: 'cpu_high' })));
    }
    expect(queryDb(db, "select count(*)::int as n from alert_state where device_id like 'lb-%'")).toEqual([{ n: 0 }]);

    // The silence check went on on a survivor: the quiet device is reported, once.
    const survivorPids = survivors.map((s) => s.child.pid);
    const offline = await waitFor(
      'the quiet device to be reported offline',
      () => queryDb<{ timestamp: number }>(db, "select timestamp from alerts where device_id = 'quiet-1' and rule = ?", OFFLINE_RULE_ID)[0],
      30_000,
    );
    expect(survivorPids).toContain(leaseHolderPid(db, SILENCE_CHECK_LEASE));
    // A later turn of the check (its lease renewed after the alert) fires nothing more.
    await waitFor('another turn of the silence check', () =>
      queryDb<{ renewed: boolean }>(db, 'select expires_at - 30 > ? as renewed from leases where name = ?', offline.timestamp + 1, SILENCE_CHECK_LEASE)[0]?.renewed,
    );
    expect(queryDb(db, "select kind, alert from alerts where device_id = 'quiet-1'")).toEqual([{ kind: 'fired', alert: 'Device not reporting' }]);

    // Maintenance went on on a survivor: the old sample is in a 5-minute rollup.
    const rolledUp = () => queryDb<{ n: number }>(db, "select count(*)::int as n from rollups where device_id = 'maintained-1' and resolution = 300")[0]!.n > 0;
    await waitFor('the old sample to be rolled up', rolledUp, 30_000);
    expect(survivorPids).toContain(leaseHolderPid(db, MAINTENANCE_LEASE));

    for (const survivor of survivors) expect(await survivor.stop()).toBe(0);
  });
});
