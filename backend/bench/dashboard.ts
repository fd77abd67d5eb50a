// Dashboard benchmark: (1) how long Debian's chromium takes to load the overview and render
// 1,000 devices; (2) POST /metrics throughput with 20 GET /events clients open against none, each
// on a fresh database, in the same run. The event clients read in a worker thread, so their
// parsing does not slow the load generator of this thread.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { chromium } from 'playwright-core';
import { payloadPool } from './payload-pool.js';
import { type LoadResult, postLoad } from './post-load.js';
import { type Server, startBackend } from './processes.js';
import { argument, printReport, round } from './report.js';

const devices = Number(argument('devices', '1000'));
const loads = Number(argument('loads', '5'));
const sseClients = Number(argument('sse-clients', '20'));
const connections = Number(argument('connections', '16'));
const duration = Number(argument('duration', '8'));
const rounds = Number(argument('rounds', '2'));
const CHROMIUM = '/usr/bin/chromium';

async function postAll(url: string, bodies: string[], concurrency = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(`${url}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (!res.ok) throw new Error(`POST /metrics answered ${res.status}: ${await res.text()}`);
      }
    }),
  );
}

/** Milliseconds from navigation start until the overview shows every device, `loads` times. */
async function overviewLoadTimes(url: string): Promise<number[]> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const times: number[] = [];
    for (let i = 0; i < loads; i++) {
      // A new context each time: a first visit, nothing cached.
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${url}/ui/`);
      // Page code as text: this file is type-checked without the DOM library.
      await page.waitForFunction(`document.querySelectorAll('table.fleet tbody tr').length === ${devices}`, undefined, { timeout: 60_000 });
      // After the frame that shows them has been painted.
      times.push(await page.evaluate<number>('new Promise((done) => requestAnimationFrame(() => setTimeout(() => done(performance.now()))))'));
      await context.close();
    }
    return times;
  } finally {
    await browser.close();
  }
}

const readerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const counts = [];
const aborts = [];
async function read(i) {
  const abort = new AbortController();
  aborts.push(abort);
  const res = await fetch(workerData.url + '/events', { signal: abort.signal });
  counts[i] = 0;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body) counts[i] += (decoder.decode(chunk, { stream: true }).match(/^event: /gm) || []).length;
  } catch {}
}
Promise.all(Array.from({ length: workerData.clients }, (_, i) => { counts[i] = 0; return read(i); }));
parentPort.on('message', (m) => {
  if (m === 'stop') { for (const a of aborts) a.abort(); parentPort.postMessage(counts); }
});
setTimeout(() => parentPort.postMessage('ready'), 500);
`;

async function openEventClients(url: string, clients: number): Promise<{ stop(): Promise<number[]> }> {
  const worker = new Worker(readerSource, { eval: true, workerData: { url, clients } });
  await new Promise<void>((ready) => worker.once('message', () => ready()));
  return {
    stop: () =>
      new Promise((done) => {
        worker.once('message', (counts: number[]) => {
          void worker.terminate();
          done(counts);
        });
        worker.postMessage('stop');
      }),
  };
}

/** The mean of each figure over the rounds (sums for counts). */
function meanOf(results: LoadResult[]): LoadResult {
  const mean = (pick: (r: LoadResult) => number) => round(results.reduce((a, r) => a + pick(r), 0) / results.length, 0);
  const sum = (pick: (r: LoadResult) => number) => results.reduce((a, r) => a + pick(r), 0);
  return {
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    p50: mean((r) => r.p50),
    p99: mean((r) => r.p99),
    sent: sum((r) => r.sent),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
  };
}

const ingestLoad = (server: Server, bodies: string[]) => postLoad(server.url, bodies, { connections, duration });

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install the Debian package chromium (apt-get install -y chromium)`);
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-bench-dashboard-'));
  try {
    // 1. The overview at `devices` devices.
    const fleet = await startBackend(join(dir, 'overview.sqlite'));
    await postAll(fleet.url, payloadPool(devices, 1).map((p) => JSON.stringify(p)));
    const times = (await overviewLoadTimes(fleet.url)).sort((a, b) => a - b);
    await fleet.stop();

    // 2. Ingest without and with event clients, each on a fresh database; alternated `rounds`
    // times, so that a neighbour's load on the machine falls on both alike.
    const bodies = payloadPool(devices, 20).map((p) => JSON.stringify(p));
    const without: LoadResult[] = [];
    const withEvents: LoadResult[] = [];
    const received: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const quiet = await startBackend(join(dir, `quiet-${i}.sqlite`));
      without.push(await ingestLoad(quiet, bodies));
      await quiet.stop();
      const busy = await startBackend(join(dir, `listened-${i}.sqlite`));
      const clients = await openEventClients(busy.url, sseClients);
      withEvents.push(await ingestLoad(busy, bodies));
      received.push(...(await clients.stop()));
      await busy.stop();
    }
    const withoutClients = meanOf(without);
    const withClients = meanOf(withEvents);

    const median = times[Math.floor(times.length / 2)]!;
    const ratio = round(withClients.requestsPerSecond / withoutClients.requestsPerSecond, 3);
    const perClient = round(received.reduce((a, b) => a + b, 0) / Math.max(1, received.length), 0);
    printReport(
      'dashboard',
      `overview of ${devices} devices loaded ${loads} times in chromium (fresh context each); POST /metrics with ${connections} connections for ${duration} s, without and with ${sseClients} GET /events clients, alternated ${rounds} times (means), fresh database each`,
      [
        ['measure', 'value', 'p50 ms', 'p99 ms', 'errors'],
        [`overview load+render, ${devices} devices (median ms)`, round(median, 0), '', '', ''],
        ['overview load+render (min / max ms)', `${round(times[0]!, 0)} / ${round(times.at(-1)!, 0)}`, '', '', ''],
        ['ingest req/s, no event clients', withoutClients.requestsPerSecond, withoutClients.p50, withoutClients.p99, withoutClients.errors + withoutClients.non2xx],
        [`ingest req/s, ${sseClients} event clients`, withClients.requestsPerSecond, withClients.p50, withClients.p99, withClients.errors + withClients.non2xx],
        ['ratio with/without', ratio, '', '', ''],
        ['events received per client', perClient, '', '', ''],
      ],
      {
        devices,
        overview_ms: { median: round(median, 0), min: round(times[0]!, 0), max: round(times.at(-1)!, 0), all: times.map((t) => round(t, 0)) },
        sse_clients: sseClients,
        connections,
        duration_s: duration,
        rounds,
        ingest_without_clients: withoutClients,
        ingest_with_clients: withClients,
        throughput_ratio: ratio,
        events_per_client: perClient,
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
