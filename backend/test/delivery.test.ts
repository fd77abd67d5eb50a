// Samples replayed by an agent after an outage: stored once, at the time they were measured,
// and judged by the alert engine in time order.
import { describe, expect, it } from 'vitest';
import { backendForEachTest, postJson, queryDb, request } from './helpers.js';
import { healthyExample, originalExample } from './payloads.js';

const t = backendForEachTest();

const post = (body: unknown) => postJson<{ ok: boolean; outcome: string; timestamp: number }>(`${t.backend.url}/metrics`, body);

describe('POST /metrics with sample_id and age_seconds', () => {
  it('stores a sample at receive time minus its age, whatever the agent t.clock says', async () => {
    const answer = await post({ ...healthyExample, sample_id: 's-1', age_seconds: 95.5 });
    expect(answer.body).toMatchObject({ ok: true, outcome: 'new', timestamp: t.clock - 95.5 });
    expect(queryDb(t.dbPath, 'select timestamp, received_at, sample_id from samples')).toEqual([{ timestamp: t.clock - 95.5, received_at: t.clock, sample_id: 's-1' }]);
  });

  it('refuses a sample older than the raw retention, naming the limit, and takes one just within it', async () => {
    const tooOld = await postJson<{ error: string }>(`${t.backend.url}/metrics`, { ...healthyExample, sample_id: 'old', age_seconds: 31 * 86400 });
    expect(tooOld.status).toBe(400);
    expect(tooOld.body.error).toContain('age_seconds 2678400 is older than the raw retention (30 d = 2592000 s)');
    expect(queryDb(t.dbPath, 'select count(*) as n from samples')).toEqual([{ n: 0 }]);
    expect((await post({ ...healthyExample, sample_id: 'kept', age_seconds: 30 * 86400 })).body).toMatchObject({ ok: true });
  });

  it('stores a retried sample once, and its alerts once', async () => {
    await post({ ...originalExample, sample_id: 'a-1' });
    t.clock += 5;
    const retry = await post({ ...originalExample, sample_id: 'a-1', age_seconds: 5 });
    expect(retry.body).toMatchObject({ ok: true, outcome: 'duplicate', timestamp: t.clock - 5 });
    expect(queryDb(t.dbPath, 'select count(*) as n from samples')).toEqual([{ n: 1 }]);
    expect(queryDb(t.dbPath, 'select count(*) as n from alerts')).toEqual([{ n: 12 }]);
  });

  it('keeps the same sample_id from two devices apart', async () => {
    await post({ ...healthyExample, agent_id: 'one', sample_id: 'x' });
    await post({ ...healthyExample, agent_id: 'two', sample_id: 'x' });
    expect(queryDb(t.dbPath, 'select device_id from samples order by id')).toEqual([{ device_id: 'one' }, { device_id: 'two' }]);
  });

  it('evaluates samples replayed oldest first in their time order', async () => {
    // Measured at t-30 (bad), t-20 (healthy), t-10 (bad); all arrive now.
    await post({ ...originalExample, sample_id: 'r1', age_seconds: 30 });
    await post({ ...healthyExample, sample_id: 'r2', age_seconds: 20 });
    await post({ ...originalExample, sample_id: 'r3', age_seconds: 10 });
    const kinds = queryDb<{ kind: string; timestamp: number; n: number }>(t.dbPath, 'select kind, timestamp, count(*) as n from alerts group by kind, timestamp order by timestamp, kind');
    expect(kinds).toEqual([
      { kind: 'fired', timestamp: t.clock - 30, n: 12 },
      { kind: 'recovered', timestamp: t.clock - 20, n: 12 },
      { kind: 'fired', timestamp: t.clock - 10, n: 12 },
    ]);
  });

  it('puts a sample older than the latest into history without touching alerts or the latest sample', async () => {
    await post({ ...healthyExample, sample_id: 'now' });
    const late = await post({ ...originalExample, sample_id: 'old', age_seconds: 300 });
    expect(late.body).toMatchObject({ ok: true, outcome: 'late', timestamp: t.clock - 300 });
    expect(queryDb(t.dbPath, 'select count(*) as n from alerts')).toEqual([{ n: 0 }]);
    expect(queryDb(t.dbPath, 'select first_seen, last_seen from devices')).toEqual([{ first_seen: t.clock - 300, last_seen: t.clock }]);
    const latest = (await request<{ sample_id: string }[]>(`${t.backend.url}/metrics`)).body;
    expect(latest.map((s) => s.sample_id)).toEqual(['now']);
    expect(queryDb(t.dbPath, 'select sample_id from samples order by timestamp')).toEqual([{ sample_id: 'old' }, { sample_id: 'now' }]);
  });

  it('does not re-open a closed alert with a late sample', async () => {
    await post({ ...originalExample, sample_id: 'a' });
    t.clock += 10;
    await post({ ...healthyExample, sample_id: 'b' });
    await post({ ...originalExample, sample_id: 'c', age_seconds: 5 });
    expect(queryDb(t.dbPath, 'select count(*) as n from alert_state')).toEqual([{ n: 0 }]);
    expect(queryDb(t.dbPath, 'select count(*) as n from alerts')).toEqual([{ n: 24 }]);
  });
});
