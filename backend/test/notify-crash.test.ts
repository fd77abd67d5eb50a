// kill -9 between storing an alert and delivering its notification: after a restart the receiver
// gets it exactly once (the real CLI, a real HTTP receiver; waits on events, never on a fixed sleep).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { cleanUpAfterEach, postJson, queryDb, runBackendCli, spawnBackend, tempDir } from './helpers.js';
import { healthyExample } from './payloads.js';
import { type HttpReceiver, startHttpReceiver } from './receivers.js';

const t = cleanUpAfterEach();
let receiver: HttpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

it('delivers a notification exactly once across a kill -9 while its receiver hung', async () => {
  t.dir = tempDir();
  const db = join(t.dir.path, 'monitor.sqlite');
  const notify = join(t.dir.path, 'notify.yaml');
  receiver = await startHttpReceiver();
  writeFileSync(
    notify,
    `receivers:
  - name: phone
    type: ntfy
    url: ${receiver.url}/db-alerts
routes:
  - device: "db-*"
    rule: disk_space_low
    receivers: phone
`,
  );
  receiver.mode = 'hold';
  t.backend = await spawnBackend(['--db', db, '--notify', notify]);
  const answer = await postJson(`${t.backend.url}/metrics`, { ...healthyExample, agent_id: 'db-1', disks: [{ mountpoint: '/var', percent: 97, inode_percent: 3 }] });
  expect(answer.status).toBe(200);
  // The sender's pass reached the receiver, which does not answer; the backend dies mid-send.
  await receiver.arrivals(1);
  await t.backend.stop('SIGKILL');
  expect(queryDb(db, 'select kind, status, attempts from notifications')).toEqual([{ kind: 'firing', status: 'pending', attempts: 0 }]);

  receiver.mode = 'ok';
  t.backend = await spawnBackend(['--db', db, '--notify', notify]);
  await receiver.arrivals(2);
  // A clean stop lets the pass in flight finish and record the delivery.
  expect(await t.backend.stop()).toBe(0);
  expect(receiver.accepted).toHaveLength(1);
  expect(receiver.accepted[0]!.headers.title).toBe('[FIRING] Low Disk Space on db-1 (/var)');
  expect(queryDb(db, 'select kind, status, attempts from notifications')).toEqual([{ kind: 'firing', status: 'sent', attempts: 1 }]);
});

it('`notify test` sends one message to the receiver named, and says when it was refused', async () => {
  t.dir = tempDir();
  receiver = await startHttpReceiver();
  const notify = join(t.dir.path, 'notify.json');
  writeFileSync(notify, JSON.stringify({ receivers: [{ name: 'chat', type: 'slack', url_env: 'CHAT_URL' }] }));
  const env = { CHAT_URL: `${receiver.url}/services/T0/B0/secret` };
  const ok = await runBackendCli(['notify', 'test', '--receiver', 'chat', '--notify', notify], env);
  expect(ok).toMatchObject({ code: 0, output: expect.stringContaining('receiver chat accepted the test message') });
  expect(receiver.accepted).toHaveLength(1);
  expect(JSON.parse(receiver.accepted[0]!.body).text).toMatch(/^\[TEST\] Test notification/);
  receiver.mode = 'fail';
  const refused = await runBackendCli(['notify', 'test', '--receiver', 'chat'], { ...env, FLEETMON_NOTIFY: notify });
  expect(refused.code).toBe(1);
  expect(refused.output).toMatch(/did not accept the test message: POST http:\/\/127.0.0.1:\d+\/… answered 503/);
  // The webhook URL is a secret: it is not in the output.
  expect(refused.output).not.toContain('secret');
  const unknown = await runBackendCli(['notify', 'test', '--receiver', 'pager', '--notify', notify], env);
  expect(unknown).toMatchObject({ code: 1, output: expect.stringContaining("has no receiver 'pager'; its receivers are chat") });
});
