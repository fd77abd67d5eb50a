// Notifications end to end on a driven clock: real backends, real HTTP and SMTP receivers, the
// sender driven by deliverDue() instead of its timer.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type NotifyConfig, NotifyFileError, buildNotifyConfig } from '../notify/config.js';
import { fingerprintOf } from '../notify/alertmanager.js';
import { createSender } from '../notify/sender.js';
import type { RunningBackend } from '../server.js';
import { silentLogger } from '../log.js';
import { TEST_START_TIME, postJson, queryDb, request, startTestBackend, tempDir } from './helpers.js';
import { healthyExample } from './payloads.js';
import { type HttpReceiver, type SmtpReceiver, startHttpReceiver, startSmtpReceiver } from './receivers.js';

interface Ctx {
  dir: ReturnType<typeof tempDir>;
  dbPath: string;
  clock: number;
  backend: RunningBackend;
  receivers: (HttpReceiver | SmtpReceiver)[];
}
let t: Ctx | undefined;

afterEach(async () => {
  if (!t) return;
  await t.backend.close();
  for (const r of t.receivers) await r.close();
  await t.dir.remove();
  t = undefined;
});

async function start(notify: (dir: string) => unknown, receivers: (HttpReceiver | SmtpReceiver)[] = []): Promise<Ctx> {
  const dir = tempDir();
  const dbPath = join(dir.path, 'monitor.sqlite');
  const ctx = { dir, dbPath, clock: TEST_START_TIME, receivers } as Ctx;
  ctx.backend = await startTestBackend(dbPath, {
    now: () => ctx.clock,
    notify: buildNotifyConfig(notify(dir.path), null),
    notifyEveryMs: 0,
    silenceCheckEveryMs: 0,
    maintenanceEveryMs: 0,
  });
  t = ctx;
  return ctx;
}

const disk = (device: string, percent: number, mountpoint = '/var') => ({ ...healthyExample, agent_id: device, disks: [{ mountpoint, percent, inode_percent: 3 }] });

async function post(ctx: Ctx, payload: unknown) {
  const answer = await postJson(`${ctx.backend.url}/metrics`, payload);
  expect(answer.status).toBe(200);
}

const json = (r: HttpReceiver, i: number) => JSON.parse(r.accepted[i]!.body) as Record<string, unknown>;

describe('webhook receiver (Alertmanager format)', () => {
  it('sends firing and resolved messages in the Alertmanager webhook v4 shape, field by field', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(
      () => ({
        external_url: 'http://fleetmon.example:8000',
        receivers: [{ name: 'am', type: 'webhook', url: `${hook.url}/hook` }],
        routes: [{ device: 'db-*', rule: 'disk_space_low', receivers: 'am' }],
      }),
      [hook],
    );
    await post(ctx, disk('web-1', 97)); // not routed
    await post(ctx, disk('db-1', 97));
    expect(queryDb(ctx.dbPath, 'select receiver, kind, status from notifications')).toEqual([{ receiver: 'am', kind: 'firing', status: 'pending' }]);
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ leased: true, sent: 1, failed: 0 });
    const firedAt = ctx.clock;
    ctx.clock += 600;
    await post(ctx, disk('db-1', 50));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1 });

    expect(hook.accepted.map((r) => r.path)).toEqual(['/hook', '/hook']);
    expect(hook.accepted[0]!.headers['content-type']).toBe('application/json');
    const labels = { alertname: 'Low Disk Space', device: 'db-1', rule: 'disk_space_low', subject: '/var', severity: 'critical' };
    const firing = json(hook, 0);
    expect(Object.keys(firing).sort()).toEqual(
      ['alerts', 'commonAnnotations', 'commonLabels', 'externalURL', 'groupKey', 'groupLabels', 'notification_reason', 'receiver', 'routeLabels', 'status', 'truncatedAlerts', 'version'].sort(),
    );
    expect(firing.version).toBe('4');
    expect(firing.receiver).toBe('am');
    expect(firing.status).toBe('firing');
    expect(firing.externalURL).toBe('http://fleetmon.example:8000');
    expect(firing.truncatedAlerts).toBe(0);
    expect(firing.notification_reason).toBe('first notification');
    expect(firing.groupLabels).toEqual({ device: 'db-1', rule: 'disk_space_low', subject: '/var' });
    expect(firing.groupKey).toBe('{}:{device="db-1", rule="disk_space_low", subject="/var"}');
    expect(firing.commonLabels).toEqual(labels);
    expect(firing.routeLabels).toEqual({});
    const alerts = firing.alerts as Record<string, unknown>[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toEqual({
      status: 'firing',
      labels,
      annotations: { summary: 'Low Disk Space on db-1 (/var)', description: expect.stringContaining('value 97 (limit 90)') },
      startsAt: new Date(firedAt * 1000).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://fleetmon.example:8000/alerts?device=db-1&rule=disk_space_low',
      fingerprint: fingerprintOf(labels),
    });
    expect(firing.commonAnnotations).toEqual(alerts[0]!.annotations);
    expect(fingerprintOf(labels)).toMatch(/^[0-9a-f]{16}$/);

    const resolved = json(hook, 1);
    expect(resolved.status).toBe('resolved');
    expect(resolved.notification_reason).toBe('all alerts resolved');
    const ra = (resolved.alerts as Record<string, unknown>[])[0]!;
    expect(ra).toMatchObject({ status: 'resolved', labels, startsAt: new Date(firedAt * 1000).toISOString(), endsAt: new Date(ctx.clock * 1000).toISOString(), fingerprint: fingerprintOf(labels) });
    expect(queryDb(ctx.dbPath, 'select kind, status, attempts, sent_at from notifications order by id')).toEqual([
      { kind: 'firing', status: 'sent', attempts: 1, sent_at: firedAt },
      { kind: 'resolved', status: 'sent', attempts: 1, sent_at: ctx.clock },
    ]);
  });
});

describe('a receiver that is down', () => {
  it('retries with backoff, keeps the order, and delivers everything when it comes back', async () => {
    const hook = await startHttpReceiver();
    hook.mode = 'fail';
    const ctx = await start(() => ({ receivers: [{ name: 'am', type: 'webhook', url: hook.url }], routes: [{ receivers: 'am' }] }), [hook]);
    await post(ctx, disk('db-1', 97));
    await post(ctx, disk('db-2', 97));
    await post(ctx, disk('db-3', 97));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 0, failed: 1 });
    expect(hook.arrived).toHaveLength(1);
    const failing = await request<{ id: number; status: string; attempts: number; last_error: string; next_attempt_at: number }[]>(`${ctx.backend.url}/notifications?status=failing`);
    expect(failing.body).toEqual([expect.objectContaining({ status: 'pending', attempts: 1, next_attempt_at: ctx.clock + 10 })]);
    expect(failing.body[0]!.last_error).toMatch(/answered 503: down for maintenance/);

    // Not before its backoff; the ones behind it wait.
    ctx.clock += 9;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 0, failed: 0 });
    ctx.clock += 1;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ failed: 1 });
    ctx.clock += 19;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ failed: 0 });
    ctx.clock += 1;
    hook.mode = 'ok';
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 3, failed: 0 });
    expect(hook.accepted.map((r) => (json(hook, hook.accepted.indexOf(r)).commonLabels as Record<string, string>).device)).toEqual(['db-1', 'db-2', 'db-3']);
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 0 });
    expect(hook.arrived).toHaveLength(2 + 3);
  });

  it('keeps to the receiver rate limit', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(() => ({ receivers: [{ name: 'am', type: 'webhook', url: hook.url, rate_limit: { max: 2, per: '1m' } }], routes: [{ receivers: 'am' }] }), [hook]);
    for (const d of ['a', 'b', 'c']) await post(ctx, disk(d, 97));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 2 });
    ctx.clock += 59;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 0 });
    ctx.clock += 1;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1 });
  });
});

describe('routes, reminders and recoveries', () => {
  it('reminds every repeat_interval while the problem stays open and says recovered once it clears', async () => {
    const phone = await startHttpReceiver();
    const ctx = await start(() => ({ receivers: [{ name: 'phone', type: 'ntfy', url: `${phone.url}/db-alerts` }], routes: [{ device: 'db-*', rule: 'disk_space_low', receivers: ['phone'], repeat_interval: '4h' }] }), [phone]);
    await post(ctx, disk('db-1', 97));
    await ctx.backend.sender.deliverDue();
    ctx.clock += 4 * 3600 - 1;
    await post(ctx, disk('db-1', 98)); // still full: no new firing
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ reminders: 0, sent: 0 });
    ctx.clock += 1;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ reminders: 1, sent: 1 });
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ reminders: 0, sent: 0 });
    ctx.clock += 3600;
    await post(ctx, disk('db-1', 40));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ reminders: 0, sent: 1 });
    ctx.clock += 5 * 3600;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ reminders: 0, sent: 0 });

    expect(phone.accepted.map((r) => [r.path, r.headers.title, r.headers.priority, r.headers.tags])).toEqual([
      ['/db-alerts', '[FIRING] Low Disk Space on db-1 (/var)', 'high', 'rotating_light'],
      ['/db-alerts', '[STILL FIRING] Low Disk Space on db-1 (/var)', 'high', 'rotating_light'],
      ['/db-alerts', '[RESOLVED] Low Disk Space on db-1 (/var)', 'default', 'white_check_mark'],
    ]);
    expect(phone.accepted[0]!.body).toContain('value 97 (limit 90)');
  });

  it('first matching route wins unless continue; send_resolved: false stops recoveries for that receiver', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(
      () => ({
        receivers: [
          { name: 'a', type: 'slack', url: `${hook.url}/a` },
          { name: 'b', type: 'discord', url: `${hook.url}/b`, send_resolved: false },
          { name: 'c', type: 'webhook', url: `${hook.url}/c` },
        ],
        routes: [
          { severity: 'critical', device: 'db-*', receivers: 'a', continue: true },
          { severity: 'critical', receivers: 'b' },
          { receivers: 'c' },
        ],
      }),
      [hook],
    );
    await post(ctx, disk('db-1', 97));
    await post(ctx, disk('web-1', 97));
    await ctx.backend.sender.deliverDue();
    ctx.clock += 60;
    await post(ctx, disk('db-1', 10));
    await ctx.backend.sender.deliverDue();
    const got = hook.accepted.map((r) => `${r.path} ${JSON.parse(r.body).text ?? JSON.parse(r.body).content}`.split('\n')[0]);
    expect(got.sort()).toEqual(
      ['/a [FIRING] Low Disk Space on db-1 (/var)', '/b [FIRING] Low Disk Space on db-1 (/var)', '/b [FIRING] Low Disk Space on web-1 (/var)', '/a [RESOLVED] Low Disk Space on db-1 (/var)'].sort(),
    );
  });
});

describe('escalation', () => {
  it('tells escalate_to once the problem has been open escalate_after, and its recovery too', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(
      () => ({
        receivers: [
          { name: 'oncall', type: 'slack', url: `${hook.url}/oncall` },
          { name: 'boss', type: 'slack', url: `${hook.url}/boss` },
        ],
        routes: [{ device: 'db-*', receivers: 'oncall', escalate_after: '1h', escalate_to: 'boss' }],
      }),
      [hook],
    );
    const paths = () => hook.accepted.map((r) => `${r.path} ${(JSON.parse(r.body) as { text: string }).text.split('\n')[0]}`);
    await post(ctx, disk('db-1', 97));
    await post(ctx, disk('db-2', 97));
    await ctx.backend.sender.deliverDue();
    ctx.clock += 600;
    await post(ctx, disk('db-2', 20)); // cleared within the hour: nobody escalates it
    ctx.clock += 3000 - 1;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ escalations: 0 });
    ctx.clock += 1;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ escalations: 1, sent: 1 });
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ escalations: 0, sent: 0 });
    ctx.clock += 60;
    await post(ctx, disk('db-1', 20));
    await ctx.backend.sender.deliverDue();
    // Receivers are worked side by side: the order holds per receiver.
    expect(paths().filter((p) => p.startsWith('/oncall'))).toEqual([
      '/oncall [FIRING] Low Disk Space on db-1 (/var)',
      '/oncall [FIRING] Low Disk Space on db-2 (/var)',
      '/oncall [RESOLVED] Low Disk Space on db-2 (/var)',
      '/oncall [RESOLVED] Low Disk Space on db-1 (/var)',
    ]);
    expect(paths().filter((p) => p.startsWith('/boss'))).toEqual(['/boss [FIRING] Low Disk Space on db-1 (/var)', '/boss [RESOLVED] Low Disk Space on db-1 (/var)']);
  });
});

describe('grouping', () => {
  it('group_by device: what fires on one machine within group_wait goes out as one message', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(() => ({ receivers: [{ name: 'am', type: 'webhook', url: hook.url }], routes: [{ receivers: 'am', group_by: 'device', group_wait: '30s' }] }), [hook]);
    await post(ctx, disk('db-1', 97));
    ctx.clock += 10;
    await post(ctx, { ...disk('db-1', 97), cpu: { total_percent: 99 } });
    await post(ctx, disk('db-2', 97));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 0 });
    ctx.clock += 20;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 2 });
    expect(hook.accepted).toHaveLength(1);
    const grouped = json(hook, 0);
    expect(grouped.groupLabels).toEqual({ device: 'db-1' });
    expect(grouped.groupKey).toBe('{}:{device="db-1"}');
    expect(grouped.commonLabels).toEqual({ device: 'db-1', severity: 'critical' });
    expect((grouped.alerts as { labels: { rule: string } }[]).map((a) => a.labels.rule)).toEqual(['disk_space_low', 'cpu_high']);
    ctx.clock += 10;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1 });
    expect((json(hook, 1).alerts as unknown[]).length).toBe(1);
  });

  it('group_interval: what joins a group after its first message waits for the next, group_interval after it', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(() => ({ receivers: [{ name: 'am', type: 'webhook', url: hook.url }], routes: [{ device: 'web-*', receivers: 'am' }, { receivers: 'am', group_by: 'device', group_wait: '30s' }] }), [hook]);
    const disks = (...mounts: string[]) => ({ ...healthyExample, agent_id: 'db-1', disks: mounts.map((mountpoint) => ({ mountpoint, percent: 97, inode_percent: 3 })) });
    const mounts = (i: number) => (json(hook, i).alerts as { labels: { subject: string } }[]).map((a) => a.labels.subject);
    await post(ctx, disks('/var'));
    ctx.clock += 1;
    await post(ctx, disks('/var', '/srv'));
    ctx.clock += 29;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 2 });
    const firstAt = ctx.clock;
    expect(hook.accepted).toHaveLength(1);
    expect(mounts(0)).toEqual(['/var', '/srv']);
    ctx.clock += 60;
    await post(ctx, disks('/var', '/srv', '/home'));
    // The held message does not hold up the receiver's others.
    await post(ctx, disk('web-1', 97));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1 });
    expect((json(hook, 1).groupLabels as { device: string }).device).toBe('web-1');
    ctx.clock = firstAt + 299;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 0 });
    expect(hook.accepted).toHaveLength(2);
    ctx.clock = firstAt + 300;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1 });
    expect(hook.accepted).toHaveLength(3);
    expect(mounts(2)).toEqual(['/home']);
  });

  it('a grouped message to a phone says how many', async () => {
    const phone = await startHttpReceiver();
    const ctx = await start(() => ({ receivers: [{ name: 'phone', type: 'ntfy', url: phone.url }], routes: [{ receivers: 'phone', group_by: 'rule' }] }), [phone]);
    await post(ctx, disk('db-1', 97));
    await post(ctx, disk('db-2', 97));
    ctx.clock += 30;
    await ctx.backend.sender.deliverDue();
    expect(phone.accepted.map((r) => r.headers.title)).toEqual(['[FIRING:2] Low Disk Space on db-1 (/var) and 1 more']);
    expect(phone.accepted[0]!.body).toContain('[FIRING] Low Disk Space on db-2 (/var)');
  });
});

describe('flapping', () => {
  /** Fill and free db-1's /var `times` times, a minute apart, each followed by a sender pass. */
  async function flap(ctx: Ctx, changes: number) {
    for (let i = 0; i < changes; i++) {
      await post(ctx, disk('db-1', i % 2 === 0 ? 97 : 50));
      await ctx.backend.sender.deliverDue();
      ctx.clock += 60;
    }
  }
  const texts = (hook: HttpReceiver) =>
    hook.accepted.map((r) => {
      const m = JSON.parse(r.body) as { notification_reason: string; alerts: { status: string; annotations: { description: string } }[] };
      return m.notification_reason === 'alert is flapping' ? m.alerts[0]!.annotations.description.split('\n')[0] : m.alerts[0]!.status;
    });

  it('holds a flapping problem back with one message, then tells where it settled: still open', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(() => ({ receivers: [{ name: 'am', type: 'webhook', url: hook.url }], routes: [{ receivers: 'am' }] }), [hook]);
    const first = ctx.clock;
    await flap(ctx, 9); // fired at +0, +120 ... +480, recovered between: 9 changes, the 7th makes it flap
    expect(texts(hook)).toEqual([
      'firing',
      'resolved',
      'firing',
      'resolved',
      'firing',
      'resolved',
      'Low Disk Space on db-1 (/var) is flapping: 7 changes in 1 h; notifications held until it settles',
    ]);
    // Settled once fewer than 3 changes are left in the hour: the last two (+420, +480).
    ctx.clock = first + 3959;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ settled: 0, sent: 0 });
    ctx.clock = first + 3960;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ settled: 1, sent: 1 });
    expect(texts(hook).slice(7)).toEqual(['firing']);
    expect(queryDb(ctx.dbPath, 'select count(*) as n from flapping')).toEqual([{ n: 0 }]);
    // From here on as any problem: its recovery is told.
    await post(ctx, disk('db-1', 50));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1 });
    expect(texts(hook).slice(8)).toEqual(['resolved']);
  });

  it('settled recovered: one recovery; flap_threshold and flap_window from the file', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(() => ({ flap_window: '10m', flap_threshold: 3, receivers: [{ name: 'am', type: 'webhook', url: hook.url }], routes: [{ receivers: 'am' }] }), [hook]);
    const first = ctx.clock;
    await flap(ctx, 6); // the 4th change (+180) flaps; it ends recovered (+300)
    expect(texts(hook)).toEqual(['firing', 'resolved', 'firing', 'Low Disk Space on db-1 (/var) is flapping: 4 changes in 10 min; notifications held until it settles']);
    ctx.clock = first + 240 + 600; // only +300 is left in the 10 minutes: settled
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ settled: 1, sent: 1 });
    expect(texts(hook).slice(4)).toEqual(['resolved']);
  });

  it('a change after the window emptied settles it at once, with where it is now', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(() => ({ flap_window: '10m', flap_threshold: 3, receivers: [{ name: 'am', type: 'webhook', url: hook.url }], routes: [{ receivers: 'am' }] }), [hook]);
    await flap(ctx, 4); // flaps at the 4th change (+180), recovered
    expect(texts(hook)).toHaveLength(4);
    ctx.clock += 1200; // no sender pass meanwhile: nothing noticed it settled
    await post(ctx, disk('db-1', 97));
    expect(queryDb(ctx.dbPath, 'select count(*) as n from flapping')).toEqual([{ n: 0 }]);
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ settled: 0, sent: 1 });
    expect(texts(hook).slice(4)).toEqual(['firing']);
  });
});

describe('silences', () => {
  it('records a silenced alert but sends nothing, then notifies what is still open when the silence ends', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(() => ({ receivers: [{ name: 'am', type: 'webhook', url: hook.url }], routes: [{ receivers: 'am' }] }), [hook]);
    const made = await postJson<{ id: number; state: string; ends_at: number }>(`${ctx.backend.url}/silences`, {
      matchers: { device: 'db-*' },
      duration: '2h',
      comment: 'disk swap',
      author: 'alice',
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ state: 'active', ends_at: ctx.clock + 7200 });
    await post(ctx, disk('db-1', 97)); // silenced, stays open
    await post(ctx, disk('db-2', 97)); // silenced, clears during the silence
    await post(ctx, disk('web-1', 97)); // not silenced
    ctx.clock += 600;
    await post(ctx, disk('db-2', 10));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1, released: 0 });
    expect(queryDb(ctx.dbPath, "select count(*) as n from alerts where device_id like 'db-%'")).toEqual([{ n: 3 }]);
    // db-1 and db-2 fired while silenced; db-2's recovery owes nothing, since nobody was told it fired.
    expect((await request<unknown[]>(`${ctx.backend.url}/notifications?status=silenced`)).body).toHaveLength(2);

    ctx.clock += 7200;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1, released: 1 });
    const devices = hook.accepted.map((_, i) => (json(hook, i).commonLabels as Record<string, string>).device);
    expect(devices).toEqual(['web-1', 'db-1']);
    expect((await request<unknown[]>(`${ctx.backend.url}/silences`)).body).toEqual([]);
    expect((await request<unknown[]>(`${ctx.backend.url}/silences?all=1`)).body).toHaveLength(1);
  });

  it('DELETE /silences/:id ends a silence; bad silences are a 400 that names the field', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(() => ({ receivers: [{ name: 'am', type: 'webhook', url: hook.url }], routes: [{ receivers: 'am' }] }), [hook]);
    const bad = await postJson<{ error: string }>(`${ctx.backend.url}/silences`, { matchers: {}, ends_at: 'tomorrow' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/matchers.*at least one/);
    const made = await postJson<{ id: number }>(`${ctx.backend.url}/silences`, { matchers: { rule: 'disk_space_low' }, ends_at: ctx.clock + 3600 });
    await post(ctx, disk('db-1', 97));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 0 });
    expect((await request(`${ctx.backend.url}/silences/${made.body.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await request(`${ctx.backend.url}/silences/999`, { method: 'DELETE' })).status).toBe(404);
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1, released: 1 });
  });
});

describe('other receivers', () => {
  it('email: a real SMTP server gets the mail, with authentication', async () => {
    const smtp = await startSmtpReceiver();
    const ctx = await start(
      (dir) => {
        writeFileSync(join(dir, 'smtp-password'), 'secret\n');
        return {
          receivers: [
            { name: 'mail', type: 'email', host: '127.0.0.1', port: smtp.port, secure: false, starttls: 'off', user: 'fleetmon', password_file: join(dir, 'smtp-password'), from: 'fleetmon@example.com', to: ['ops@example.com', 'db@example.com'] },
          ],
          routes: [{ receivers: 'mail' }],
        };
      },
      [smtp],
    );
    await post(ctx, disk('db-1', 97));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1 });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]).toMatchObject({ from: 'fleetmon@example.com', to: ['ops@example.com', 'db@example.com'], user: 'fleetmon' });
    expect(smtp.mails[0]!.data).toMatch(/Subject: \[FIRING\] Low Disk Space on db-1 \(\/var\)/);
    expect(smtp.mails[0]!.data).toContain('value 97 (limit 90)');
  });

  it('command: the program gets the JSON on stdin; exit 0 is delivered, anything else is retried', async () => {
    const hook = await startHttpReceiver();
    let script = '';
    const ctx = await start((dir) => {
      script = join(dir, 'deliver.mjs');
      writeFileSync(
        script,
        `import { appendFileSync, existsSync } from 'node:fs';
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  if (existsSync(${JSON.stringify(join(dir, 'broken'))})) { console.error('pager gateway unreachable'); process.exit(3); }
  appendFileSync(${JSON.stringify(join(dir, 'delivered.jsonl'))}, JSON.stringify(JSON.parse(input)) + '\\n');
});
`,
      );
      chmodSync(script, 0o755);
      writeFileSync(join(dir, 'broken'), '');
      return { receivers: [{ name: 'pager', type: 'command', argv: [process.execPath, script] }], routes: [{ receivers: 'pager' }] };
    }, [hook]);
    await post(ctx, disk('db-1', 97));
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ failed: 1 });
    expect((await request<{ last_error: string }[]>(`${ctx.backend.url}/notifications`)).body[0]!.last_error).toMatch(/exited with 3: pager gateway unreachable/);
    (await import('node:fs')).rmSync(join(ctx.dir.path, 'broken'));
    ctx.clock += 10;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1 });
    const lines = readFileSync(join(ctx.dir.path, 'delivered.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ version: '4', status: 'firing', commonLabels: { device: 'db-1' } });
  });
});

describe('one sender per database', () => {
  it('a second backend on the same database sends nothing while the first holds the lease', async () => {
    const hook = await startHttpReceiver();
    const ctx = await start(() => ({ receivers: [{ name: 'am', type: 'webhook', url: hook.url }], routes: [{ receivers: 'am' }] }), [hook]);
    const config: NotifyConfig = ctx.backend.notify;
    const other = await startTestBackend(ctx.dbPath, { now: () => ctx.clock, notify: config, notifyEveryMs: 0, silenceCheckEveryMs: 0, maintenanceEveryMs: 0 }, {});
    try {
      await post(ctx, disk('db-1', 97));
      expect(await ctx.backend.sender.deliverDue()).toMatchObject({ leased: true, sent: 1 });
      await postJson(`${other.url}/metrics`, disk('db-2', 97));
      expect(await other.sender.deliverDue()).toMatchObject({ leased: false, sent: 0 });
      expect(await ctx.backend.sender.deliverDue()).toMatchObject({ leased: true, sent: 1 });
      // The first one stops renewing: once its lease has run out, the other takes over.
      ctx.clock += 61;
      await postJson(`${other.url}/metrics`, disk('db-3', 97));
      expect(await other.sender.deliverDue()).toMatchObject({ leased: true, sent: 1 });
      expect(await ctx.backend.sender.deliverDue()).toMatchObject({ leased: false });
      const third = createSender({ db: ctx.backend.database.db, config, now: () => ctx.clock, log: silentLogger, write: { lockWaitMs: 1000 } });
      expect(await third.deliverDue()).toMatchObject({ leased: false });
    } finally {
      // A clean stop gives the lease up: the first takes over at once.
      await other.close();
    }
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ leased: true });
    expect(hook.accepted).toHaveLength(3);
  });
});

describe('GET /notifications', () => {
  it('pages through the outbox, newest first, by status and receiver', async () => {
    const hook = await startHttpReceiver();
    hook.mode = 'fail';
    const ctx = await start(() => ({ receivers: [{ name: 'am', type: 'webhook', url: hook.url }], routes: [{ receivers: 'am' }] }), [hook]);
    for (const d of ['db-1', 'db-2', 'db-3']) await post(ctx, disk(d, 97));
    await ctx.backend.sender.deliverDue();
    type Row = { id: number; device: string; status: string; kind: string; attempts: number; last_error: string | null };
    const first = await request<Row[]>(`${ctx.backend.url}/notifications?limit=2`);
    expect(first.body.map((r) => r.device)).toEqual(['db-3', 'db-2']);
    const cursor = first.headers.get('x-next-cursor');
    expect(first.headers.get('link')).toBe(`</notifications?limit=2&before=${cursor}>; rel="next"`);
    const second = await request<Row[]>(`${ctx.backend.url}/notifications?limit=2&before=${cursor}`);
    expect(second.body).toEqual([expect.objectContaining({ device: 'db-1', kind: 'firing', status: 'pending', attempts: 1, last_error: expect.stringMatching(/503/) })]);
    expect(second.headers.get('x-next-cursor')).toBeNull();
    expect((await request<Row[]>(`${ctx.backend.url}/notifications?status=failing`)).body.map((r) => r.device)).toEqual(['db-1']);
    expect((await request<Row[]>(`${ctx.backend.url}/notifications?status=sent`)).body).toEqual([]);
    expect((await request<Row[]>(`${ctx.backend.url}/notifications?receiver=other`)).body).toEqual([]);
    const bad = await request<{ error: string }>(`${ctx.backend.url}/notifications?status=lost`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/status must be one of pending, sent, silenced, failing/);
  });
});

describe('the notifications file', () => {
  it('names the place of a mistake', () => {
    const env = { env: { SMTP_PASSWORD: 'x' }, readFile: () => 'x' };
    expect(() => buildNotifyConfig({ receivers: [{ name: 'a', type: 'ntfy', url: 'https://ntfy.sh/t' }], routes: [{ receivers: 'b' }] }, null, env)).toThrow(
      /routes.0.receivers: no receiver is named 'b'; the receivers are a/,
    );
    expect(() => buildNotifyConfig({ receivers: [{ name: 'a', type: 'pager' }] }, null, env)).toThrow(NotifyFileError);
    expect(() => buildNotifyConfig({ receivers: [{ name: 'a', type: 'ntfy' }] }, null, env)).toThrow(/receivers.0: give url/);
    expect(() => buildNotifyConfig({ receivers: [{ name: 'm', type: 'email', host: 'h', from: 'f', to: 't', user: 'u', password_env: 'NOPE' }] }, null, env)).toThrow(
      /receivers.0.password_env: environment variable NOPE is not set/,
    );
    expect(() => buildNotifyConfig({ receivers: [{ name: 'a', type: 'slack', url: 'https://x' }], routes: [{ receivers: 'a' }, { receivers: 'a', repeat_interval: '10s' }] }, null, env)).toThrow(
      /routes.1.repeat_interval must be at least 1m/,
    );
    expect(() => buildNotifyConfig({ receivers: [{ name: 'a', type: 'slack', url: 'https://x' }], routes: [{ receivers: 'a', group_wait: '1m' }] }, null, env)).toThrow(
      /routes.0.group_wait applies only with group_by/,
    );
    expect(() => buildNotifyConfig({ receivers: [{ name: 'a', type: 'slack', url: 'https://x' }], routes: [{ receivers: 'a', escalate_after: '1h', escalate_to: 'boss' }] }, null, env)).toThrow(
      /routes.0.escalate_to: no receiver is named 'boss'/,
    );
    expect(() => buildNotifyConfig({ receivers: [{ name: 'a', type: 'slack', url: 'https://x' }], routes: [{ receivers: 'a', escalate_to: 'a' }] }, null, env)).toThrow(
      /routes.0: give escalate_after and escalate_to together/,
    );
    const ok = buildNotifyConfig({ receivers: [{ name: 'm', type: 'email', host: 'h', from: 'f', to: 't', user: 'u', password_env: 'SMTP_PASSWORD' }] }, null, env);
    expect(ok.receivers.get('m')).toMatchObject({ kind: 'email', sendResolved: true });
  });
});

describe('the outbox in /prometheus/self', () => {
  const gauge = async (ctx: Ctx, name: string) => {
    const text = await (await fetch(`${ctx.backend.url}/prometheus/self`)).text();
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('shows what waits per receiver, what failed, and how many dashboards listen', async () => {
    const hook = await startHttpReceiver();
    hook.mode = 'fail';
    const ctx = await start(() => ({ receivers: [{ name: 'am', type: 'webhook', url: `${hook.url}/hook` }], routes: [{ receivers: 'am' }] }), [hook]);
    await post(ctx, disk('db-1', 97));
    expect(await gauge(ctx, 'fleetmon_outbox_pending{receiver="am"}')).toBe(1);
    expect(await gauge(ctx, 'fleetmon_outbox_failing{receiver="am"}')).toBe(0);
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ failed: 1 });
    expect(await gauge(ctx, 'fleetmon_outbox_failing{receiver="am"}')).toBe(1);
    const stream = new AbortController();
    await fetch(`${ctx.backend.url}/events`, { signal: stream.signal });
    expect(await gauge(ctx, 'fleetmon_events_clients')).toBe(1);
    stream.abort();
    hook.mode = 'ok';
    ctx.clock += 3600;
    expect(await ctx.backend.sender.deliverDue()).toMatchObject({ sent: 1 });
    expect(await gauge(ctx, 'fleetmon_outbox_pending{receiver="am"}')).toBeUndefined();
  });
});
