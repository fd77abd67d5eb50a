// Older samples are packed into one compressed block per device and hour by maintenance: nothing
// posted may be lost, changed or duplicated by that, whatever reads it afterwards.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendForEachTest, postJson, queryDb, request, runBackendCli } from './helpers.js';
import { storedSamples } from './stored-samples.js';

const t = backendForEachTest();

const HOUR = 3600;
/** Seconds between two samples of postDay: a day of them is 30 to each hour's block, posted one by one. */
const EVERY = 120;
const PER_DAY = 86400 / EVERY;
const recorded = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/original-agent', `${name}.json`), 'utf8')) as Record<string, unknown> & { timestamp: number };
const ORIGINAL_SHAPES = ['gpu-box', 'laptop', 'server-no-sensors', 'statfs-failed'].map(recorded);

/** The i-th sample of a device: the original agent's recorded shapes (hardware, processes...) or
 * fleetmon's, with changing numbers and fields fleetmon does not know. */
function payloadAt(device: string, i: number): Record<string, unknown> {
  if (i % 3 === 0) {
    const shape = ORIGINAL_SHAPES[i % ORIGINAL_SHAPES.length]!;
    return { ...shape, agent_id: device, timestamp: shape.timestamp + i * EVERY, cpu: { total_percent: (i * 7.3) % 100, per_core_percent: [i % 100, null, 0.1] } };
  }
  return {
    agent_id: device,
    sample_id: `${device}-${i}`,
    cpu: { total_percent: Math.round((i * 13.7) % 1000) / 10 },
    memory: { percent: 40 + (i % 10) / 4, swap_percent: null },
    disks: [{ mountpoint: '/', percent: 41.5, inode_percent: 3, used_bytes: 1e11 + i * 4096 }],
    x_vendor: { nested: [1, [2.5, null], { deep: 'é"\\\n' }], at: 1e21, tiny: -1.5e-7 },
    interval_seconds: EVERY,
  };
}

const post = (body: unknown) => postJson<{ outcome: string; timestamp: number }>(`${t.backend.url}/metrics`, body);

/** A day of samples every EVERY seconds, each measured `now`. */
async function postDay(device: string, from: number): Promise<Record<string, unknown>[]> {
  const posted: Record<string, unknown>[] = [];
  for (let i = 0; i < PER_DAY; i++) {
    t.clock = from + i * EVERY;
    const body = payloadAt(device, i);
    expect((await post(body)).status).toBe(200);
    posted.push(body);
  }
  return posted;
}

const blockCount = (device: string) => queryDb<{ n: number }>(t.dbPath, 'select count(*) as n from sample_blocks where device_id = ?', device)[0]!.n;
const rowCount = (device: string) => queryDb<{ n: number }>(t.dbPath, 'select count(*) as n from samples where device_id = ?', device)[0]!.n;

describe('packed samples', () => {
  it('export a day exactly as posted, ids included, once older hours are packed', async () => {
    const day = Math.floor(t.clock / 86400) * 86400 + 86400;
    const posted = await postDay('web-1', day);
    const rowsBefore = queryDb<{ id: number; timestamp: number; received_at: number; sample_id: string | null }>(
      t.dbPath,
      "select id, timestamp, received_at, sample_id from samples where device_id = 'web-1' order by timestamp",
    );
    t.clock = day + 86400 + 3 * HOUR;
    await t.backend.maintenance.runUntilIdle();
    // All but the latest sample are in blocks now: 24 hours, one block each.
    expect(blockCount('web-1')).toBe(24);
    expect(rowCount('web-1')).toBe(1);

    const { code, stdout } = await runBackendCli(['export', '--db', t.dbPath, '--device', 'web-1', '--from', new Date(day * 1000).toISOString(), '--to', String(day + 86400)]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown> & { payload: Record<string, unknown> });
    expect(lines).toHaveLength(posted.length);
    lines.forEach((line, i) => {
      expect(line.payload).toEqual(posted[i]);
      const row = rowsBefore[i]!;
      expect(line).toMatchObject({ id: row.id, device_id: 'web-1', timestamp: row.timestamp, received_at: row.received_at, sample_id: row.sample_id });
    });
  }, 60_000);

  it('keep GET /metrics, raw history and the recent chart the same after packing', async () => {
    const day = Math.floor(t.clock / 86400) * 86400 + 86400;
    await postDay('web-2', day);
    // Silent since: its latest sample is far older than the unpacked window.
    t.clock = day + 86400 + 6 * HOUR;
    const paths = ['/metrics', '/metrics/web-2', `/devices/web-2/history?from=${day}&to=${day + 86400}&step=60`, `/history/web-2?samples=${PER_DAY}`];
    const before = await Promise.all(paths.map((p) => request(`${t.backend.url}${p}`)));
    await t.backend.maintenance.runUntilIdle();
    expect(blockCount('web-2')).toBe(24);
    const after = await Promise.all(paths.map((p) => request(`${t.backend.url}${p}`)));
    after.forEach((answer, i) => {
      expect(answer.status, paths[i]).toBe(200);
      expect(answer.body, paths[i]).toEqual(before[i]!.body);
    });
  }, 60_000);

  it('take a late sample into its packed hour, once, and know its retry after that', async () => {
    const day = Math.floor(t.clock / 86400) * 86400 + 86400;
    await postDay('web-3', day);
    t.clock = day + 86400 + 3 * HOUR;
    await t.backend.maintenance.runUntilIdle();
    const packedHour = day + 5 * HOUR;
    const late = { ...payloadAt('web-3', 1), sample_id: 'spooled-1', age_seconds: t.clock - (packedHour + 30) };
    expect((await post(late)).body).toMatchObject({ outcome: 'late', timestamp: packedHour + 30 });
    await t.backend.maintenance.runUntilIdle();
    // Repacked into its hour's block: no row left but the latest.
    expect(rowCount('web-3')).toBe(1);
    expect(blockCount('web-3')).toBe(24);
    // The agent did not get the answer and sends it again: already stored.
    t.clock += 60;
    expect((await post({ ...late, age_seconds: late.age_seconds + 60 })).body).toMatchObject({ outcome: 'duplicate', timestamp: packedHour + 30 });
    // And a retry of a sample packed in the first pass.
    const first = payloadAt('web-3', 2);
    expect((await post({ ...first, age_seconds: t.clock - (day + 2 * EVERY) })).body).toMatchObject({ outcome: 'duplicate', timestamp: day + 2 * EVERY });
    const stored = await storedSamples(t.dbPath, { deviceId: 'web-3' });
    expect(stored).toHaveLength(PER_DAY + 1);
    expect(stored.filter((s) => s.sampleId === 'spooled-1')).toHaveLength(1);
    expect(new Set(stored.map((s) => s.id)).size).toBe(PER_DAY + 1);
  }, 60_000);
});
