// The README's ten-line notifications file does what the README says: a message on the phone when
// a disk fills on a db-* machine, a reminder every 4 hours while it stays full, "recovered" when it
// clears, nothing during a silence, one of each across a restart before delivery.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, expect, it } from 'vitest';
import { buildNotifyConfig } from '../notify/config.js';
import type { RunningBackend } from '../server.js';
import { TEST_START_TIME, postJson, repoRoot, startTestBackend, tempDir } from './helpers.js';
import { healthyExample } from './payloads.js';
import { type HttpReceiver, startHttpReceiver } from './receivers.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** The first YAML block of the README's Notifications section. */
function readmeExample(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Notifications'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README has no YAML example under ## Notifications');
  return block;
}

it('the README example: phone, reminder, recovered, silence, restart', async () => {
  const example = readmeExample();
  expect(example.trim().split('\n').length).toBeLessThanOrEqual(10);
  const phone: HttpReceiver = await startHttpReceiver();
  cleanup.push(() => phone.close());
  const spec = parseYaml(example.replace(/https:\/\/ntfy\.sh\/\S+/, `${phone.url}/acme-db-alerts`)) as unknown;
  const notify = buildNotifyConfig(spec, 'README.md');
  const dir = tempDir();
  cleanup.push(() => dir.remove());
  const dbPath = join(dir.path, 'monitor.sqlite');
  let clock = TEST_START_TIME;
  const startIt = async () => {
    const b = await startTestBackend(dbPath, { now: () => clock, notify, notifyEveryMs: 0, silenceCheckEveryMs: 0, maintenanceEveryMs: 0 });
    return b;
  };
  let backend: RunningBackend = await startIt();
  cleanup.push(() => backend.close());
  const disk = (device: string, percent: number) => postJson(`${backend.url}/metrics`, { ...healthyExample, agent_id: device, disks: [{ mountpoint: '/', percent, inode_percent: 3 }] });
  const titles = () => phone.accepted.map((r) => r.headers.title);

  await disk('web-1', 99); // not a db-* machine
  await disk('db-1', 97);
  // The backend stops before the sender ran (a crash would do the same: the message is in the outbox).
  await backend.close();
  backend = await startIt();
  await backend.sender.deliverDue();
  await backend.sender.deliverDue();
  expect(titles()).toEqual(['[FIRING] Low Disk Space on db-1 (/)']);

  clock += 4 * 3600;
  await disk('db-1', 98);
  await backend.sender.deliverDue();
  expect(titles()).toHaveLength(2);
  expect(titles()[1]).toBe('[STILL FIRING] Low Disk Space on db-1 (/)');

  // Maintenance on db-2: nothing about it while the silence lasts.
  await postJson(`${backend.url}/silences`, { matchers: { device: 'db-2' }, duration: '2h', author: 'alice', comment: 'disk swap' });
  await disk('db-2', 99);
  clock += 3600;
  await disk('db-2', 20);
  await backend.sender.deliverDue();
  expect(titles()).toHaveLength(2);

  clock += 600;
  await disk('db-1', 30);
  await backend.sender.deliverDue();
  clock += 8 * 3600;
  await backend.sender.deliverDue();
  expect(titles()).toEqual(['[FIRING] Low Disk Space on db-1 (/)', '[STILL FIRING] Low Disk Space on db-1 (/)', '[RESOLVED] Low Disk Space on db-1 (/)']);
  expect(phone.arrived).toHaveLength(3);
});
