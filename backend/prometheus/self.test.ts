// GET /prometheus/self through a real backend: what POST /metrics did is counted by outcome and
// reason, group commits are measured, and the database and maintenance gauges are there.
import { describe, expect, it } from 'vitest';
import { backendForEachTest, postJson } from '../test/helpers.js';
import { healthyExample, withAgent } from '../test/payloads.js';

const t = backendForEachTest({ maintenanceEveryMs: 0, silenceCheckEveryMs: 0 });

async function self(): Promise<Map<string, number>> {
  const res = await fetch(`${t.backend.url}/prometheus/self`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const values = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

describe('GET /prometheus/self', () => {
  it('counts samples accepted by outcome and refused by reason, and measures the group commits', async () => {
    const sent = await Promise.all(Array.from({ length: 12 }, (_, i) => postJson(`${t.backend.url}/metrics`, withAgent({ ...healthyExample }, `d-${i % 4}`))));
    expect(sent.every((r) => r.status === 200)).toBe(true);
    expect((await postJson(`${t.backend.url}/metrics`, { agent_id: 'bad', cpu: { total_percent: 300 } })).status).toBe(400);
    const m = await self();
    expect(m.get('fleetmon_samples_accepted_total{outcome="new"}')).toBe(12);
    expect(m.get('fleetmon_samples_rejected_total{reason="invalid"}')).toBe(1);
    expect(m.get('fleetmon_ingest_duration_seconds_count')).toBe(13);
    // Every accepted sample went through exactly one group commit (how many went together varies).
    expect(m.get('fleetmon_ingest_batch_size_sum')).toBe(12);
    expect(m.get('fleetmon_ingest_batch_size_count')).toBeLessThanOrEqual(12);
    expect(m.get('fleetmon_ingest_commit_duration_seconds_count')).toBe(m.get('fleetmon_ingest_batch_size_count'));
    expect(m.get('fleetmon_database_size_bytes')).toBeGreaterThan(0);
    expect(m.has('fleetmon_database_wal_size_bytes')).toBe(true);
  });

  it('says how far maintenance is behind once it has run, by the backend clock', async () => {
    expect([...(await self()).keys()].some((k) => k.startsWith('fleetmon_maintenance_lag_seconds'))).toBe(false);
    await postJson(`${t.backend.url}/metrics`, withAgent({ ...healthyExample }, 'd-1'));
    t.clock += 3 * 3600;
    await t.backend.maintenance.runUntilIdle();
    const m = await self();
    expect(m.get('fleetmon_maintenance_lag_seconds{task="rollup_5m"}')).toBeLessThan(600);
    expect(m.get('fleetmon_maintenance_lag_seconds{task="rollup_1h"}')).toBeLessThan(2 * 3600);
  });
});
