// Notifications benchmark. (a) The outbox: how many messages a second the sender delivers to a local
// HTTP receiver that answers 200 at once (the real backend in this process on a driven clock, the
// outbox filled by posting faults, then deliverDue() passes timed until it is empty). (b) What
// notifications cost ingest: POST /metrics throughput of a 1,000-device fleet with about 10 % in
// trouble, the real backend in its own process with and without a notifications file (its sender
// on its timer, delivering to the same kind of receiver), alternated in the same run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNotifyConfig } from '../notify/config.js';
import { TEST_START_TIME, postJson, queryDb, startTestBackend, tempDir } from '../test/helpers.js';
import { healthyExample } from '../test/payloads.js';
import { startHttpReceiver } from '../test/receivers.js';
import { payloadPool } from './payload-pool.js';
import { type LoadResult, postLoad } from './post-load.js';
import { startBackend } from './processes.js';
import { argument, printReport, round } from './report.js';

const rows = Number(argument('rows', '5000'));
const connections = Number(argument('connections', '16'));
const duration = Number(argument('duration', '10'));
const agents = Number(argument('agents', '1000'));
const rounds = Number(argument('rounds', '2'));

/** No rate limit to speak of: the figure is the sender's, not the limit's. */
const notifyFile = (url: string) => ({ receivers: [{ name: 'hook', type: 'webhook', url, rate_limit: { max: 1_000_000, per: '1s' } }], routes: [{ receivers: 'hook' }] });

interface OutboxResult {
  rows: number;
  enqueueSeconds: number;
  sendSeconds: number;
  passes: number;
  perSecond: number;
}

async function outbox(): Promise<OutboxResult> {
  const dir = tempDir('fleetmon-bench-notify-');
  const hook = await startHttpReceiver();
  let clock = TEST_START_TIME;
  const dbPath = join(dir.path, 'monitor.sqlite');
  const backend = await startTestBackend(dbPath, {
    now: () => clock,
    notify: buildNotifyConfig(notifyFile(hook.url), null),
    notifyEveryMs: 0,
    silenceCheckEveryMs: 0,
    maintenanceEveryMs: 0,
    processMetrics: false,
  });
  try {
    // One full disk on each of `rows` devices: one firing message each.
    const enqueueStarted = performance.now();
    let next = 0;
    const poster = async () => {
      for (let i = next++; i < rows; i = next++) {
        const answer = await postJson(`${backend.url}/metrics`, { ...healthyExample, agent_id: `dev-${i}`, disks: [{ mountpoint: '/var', percent: 97, inode_percent: 3 }] });
        if (answer.status !== 200) throw new Error(`POST /metrics answered ${answer.status}`);
      }
    };
    await Promise.all(Array.from({ length: connections }, poster));
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
    const queued = queryDb<{ n: number }>(dbPath, "select count(*) as n from notifications where status = 'pending'")[0]!.n;
    if (queued !== rows) throw new Error(`expected ${rows} pending notifications, found ${queued}`);

    const started = performance.now();
    let sent = 0;
    let passes = 0;
    while (sent < rows) {
      const report = await backend.sender.deliverDue();
      if (report.failed > 0 || report.sent === 0) throw new Error(`a pass sent ${report.sent} and failed ${report.failed} with ${rows - sent} to go`);
      sent += report.sent;
      passes++;
      clock += 1;
    }
    const sendSeconds = (performance.now() - started) / 1000;
    if (hook.accepted.length !== rows) throw new Error(`the receiver accepted ${hook.accepted.length} of ${rows}`);
    return { rows, enqueueSeconds: round(enqueueSeconds), sendSeconds: round(sendSeconds), passes, perSecond: round(rows / sendSeconds, 0) };
  } finally {
    await backend.close();
    await hook.close();
    await dir.remove();
  }
}

interface IngestRun {
  notifications: boolean;
  load: LoadResult;
  /** Messages written to the outbox and delivered during the run. */
  enqueued: number;
  delivered: number;
}

async function ingest(bodies: string[], withNotifications: boolean): Promise<IngestRun> {
  const dir = tempDir('fleetmon-bench-notify-ingest-');
  const hook = await startHttpReceiver();
  const dbPath = join(dir.path, 'monitor.sqlite');
  const extra: string[] = [];
  if (withNotifications) {
    const file = join(dir.path, 'notify.json');
    writeFileSync(file, JSON.stringify(notifyFile(hook.url)));
    extra.push('--notify', file);
  }
  const backend = await startBackend(dbPath, extra);
  try {
    const load = await postLoad(backend.url, bodies, { connections, duration });
    await backend.stop();
    const enqueued = withNotifications ? queryDb<{ n: number }>(dbPath, 'select count(*) as n from notifications')[0]!.n : 0;
    return { notifications: withNotifications, load, enqueued, delivered: hook.accepted.length };
  } finally {
    await backend.stop();
    await hook.close();
    await dir.remove();
  }
}

const mean = (xs: number[]) => round(xs.reduce((s, x) => s + x, 0) / xs.length, 0);

async function main() {
  const box = await outbox();

  const bodies = payloadPool(agents, 20).map((p) => JSON.stringify(p));
  const runs: IngestRun[] = [];
  for (let r = 0; r < rounds; r++) {
    runs.push(await ingest(bodies, false));
    runs.push(await ingest(bodies, true));
  }
  const without = runs.filter((x) => !x.notifications);
  const withN = runs.filter((x) => x.notifications);
  const withoutRps = mean(without.map((x) => x.load.requestsPerSecond));
  const withRps = mean(withN.map((x) => x.load.requestsPerSecond));
  const ratio = round(withRps / withoutRps, 3);
  const row = (label: string, xs: IngestRun[]) => [
    label,
    mean(xs.map((x) => x.load.requestsPerSecond)),
    mean(xs.map((x) => x.load.p50)),
    mean(xs.map((x) => x.load.p99)),
    xs.reduce((s, x) => s + x.load.errors + x.load.non2xx, 0),
    mean(xs.map((x) => x.enqueued)),
    mean(xs.map((x) => x.delivered)),
  ];
  printReport(
    'notify',
    `(a) ${rows} firing messages through the outbox to a local webhook receiver answering 200, deliverDue() passes; (b) POST /metrics, ${agents} simulated devices with about 10 % in a fault, ${connections} connections, ${duration} s per run, ${rounds} rounds alternating without and with a notifications file (one webhook receiver, one route for everything), fresh database each run`,
    [
      ['measurement', 'req/s or msg/s', 'p50 ms', 'p99 ms', 'errors', 'enqueued', 'delivered'],
      [`(a) outbox, ${box.passes} passes`, box.perSecond, '', '', 0, box.rows, box.rows],
      ...[row('(b) ingest without notifications', without), row('(b) ingest with notifications', withN)],
      ['(b) ratio with/without', ratio, '', '', '', '', ''],
    ],
    {
      outbox: box,
      agents,
      connections,
      duration_s: duration,
      rounds,
      ingest_without: { requests_per_second: withoutRps, runs: without.map((x) => x.load) },
      ingest_with: { requests_per_second: withRps, runs: withN.map((x) => ({ ...x.load, enqueued: x.enqueued, delivered: x.delivered })) },
      throughput_ratio: ratio,
    },
  );
}

await main();
