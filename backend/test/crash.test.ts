// kill -9 under load: every sample the backend acknowledged is on disk after the crash, the file
// is intact, and agents' retries of what was in flight are stored once.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cleanUpAfterEach, onPostgres, postJson, queryDb, spawnBackend, tempDir } from './helpers.js';
import { healthyExample } from './payloads.js';

const t = cleanUpAfterEach();

const CONNECTIONS = 8;
const ACKS_BEFORE_CRASH = 400;

it('loses no acknowledged sample to kill -9 under load, and stores retries once', async () => {
  t.dir = tempDir();
  const db = join(t.dir.path, 'monitor.sqlite');
  t.backend = await spawnBackend(['--db', db]);
  const url = t.backend.url;
  const acknowledged = new Set<string>();
  const sent: { agent: string; sampleId: string }[] = [];
  let reachedTarget!: () => void;
  const target = new Promise<void>((resolve) => (reachedTarget = resolve));

  // Each connection plays one agent sending sample after sample until the backend is gone.
  const agents = Array.from({ length: CONNECTIONS }, async (_, k) => {
    for (let i = 0; ; i++) {
      const sample = { ...healthyExample, agent_id: `crash-${k}`, sample_id: `s-${k}-${i}`, cpu: { total_percent: i % 100 } };
      sent.push({ agent: sample.agent_id, sampleId: sample.sample_id });
      try {
        const answer = await postJson(`${url}/metrics`, sample);
        if (answer.status !== 200) throw new Error(`status ${answer.status}`);
      } catch {
        return;
      }
      acknowledged.add(sample.sample_id);
      if (acknowledged.size >= ACKS_BEFORE_CRASH) reachedTarget();
    }
  });
  await target;
  t.backend.child.kill('SIGKILL');
  await Promise.all(agents);
  await t.backend.stop('SIGKILL');

  // SQLite's own check of the file (PostgreSQL's crash safety is its WAL, not ours to check).
  if (!onPostgres) expect(queryDb(db, 'pragma integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  const stored = new Set(queryDb<{ sample_id: string }>(db, 'select sample_id from samples').map((r) => r.sample_id));
  const lost = [...acknowledged].filter((id) => !stored.has(id));
  expect(lost).toEqual([]);

  // The agents retry everything they sent (acknowledged or not, as after a lost answer): once each.
  t.backend = await spawnBackend(['--db', db]);
  for (const { agent, sampleId } of sent) {
    const answer = await postJson(`${t.backend.url}/metrics`, { ...healthyExample, agent_id: agent, sample_id: sampleId });
    expect(answer.status).toBe(200);
  }
  const perSample = queryDb<{ n: number; distinct_ids: number }>(db, 'select count(*) as n, count(distinct device_id || sample_id) as distinct_ids from samples');
  expect(perSample).toEqual([{ n: sent.length, distinct_ids: sent.length }]);
  expect(await t.backend.stop()).toBe(0);
});
