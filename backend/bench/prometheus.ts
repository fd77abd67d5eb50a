// Prometheus benchmark: how long GET /prometheus takes at 1,000 devices (the real backend in its
// own process, sequential requests), and, in this process, the fleet's text written by hand
// (backend/prometheus/exposition.ts) against the same series through a prom-client registry of
// gauges, the choice this measurement made.
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import { builtInRules } from '../alerts/rule-set.js';
import { renderFleet, writeFleet } from '../prometheus/fleet.js';
import type { MetricFamily, SeriesSink } from '../prometheus/exposition.js';
import { openProblems } from '../store/alerts.js';
import { openDatabase } from '../store/db.js';
import { devicesWithLatest } from '../store/devices.js';
import { tempDir } from '../test/helpers.js';
import { startBackend } from './processes.js';
import { argument, percentile, printReport, round } from './report.js';
import { fillDatabase } from './synthetic.js';

const devices = Number(argument('devices', '1000'));
const repeats = Number(argument('repeats', '50'));

/** The same series through prom-client: one Gauge per family, one label set per series. */
class PromClientSink implements SeriesSink {
  readonly registry = new Registry();
  private readonly gauges = new Map<MetricFamily, Gauge>();
  add(family: MetricFamily, labels: Record<string, string>, value: number | null | undefined): void {
    if (value === null || value === undefined || !Number.isFinite(value)) return;
    let gauge = this.gauges.get(family);
    if (!gauge) {
      gauge = new Gauge({ name: family.name, help: family.help, labelNames: Object.keys(labels), registers: [this.registry] });
      this.gauges.set(family, gauge);
    }
    gauge.set(labels, value);
  }
}

async function timed<T>(times: number, run: () => Promise<T> | T): Promise<{ p50: number; p99: number; last: T }> {
  for (let i = 0; i < Math.min(5, times); i++) await run();
  const ms: number[] = [];
  let last!: T;
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    last = await run();
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  return { p50: round(percentile(ms, 50)), p99: round(percentile(ms, 99)), last };
}

async function main() {
  const dir = tempDir('fleetmon-bench-prometheus-');
  try {
    const dbPath = join(dir.path, 'monitor.sqlite');
    const end = Math.floor(Date.now() / 1000);
    await fillDatabase(dbPath, { devices, samplesPerDevice: 3, intervalSeconds: 10, end, samplesPerAlert: 2 });

    // In this process: the database read, then each way of writing the same series.
    const opened = openDatabase(dbPath);
    const rules = builtInRules();
    const rulesFor = (id: string) => rules.forDevice(id);
    const read = await timed(repeats, async () => ({ rows: await devicesWithLatest(opened.db), problems: await openProblems(opened.db) }));
    const { rows, problems } = read.last;
    const byHand = await timed(repeats, () => renderFleet(rows, problems, rulesFor, end));
    const withPromClient = await timed(repeats, async () => {
      const sink = new PromClientSink();
      writeFleet(sink, rows, problems, rulesFor, end);
      return sink.registry.metrics();
    });
    await opened.close();
    const text = byHand.last;
    const series = text.split('\n').filter((l) => l && !l.startsWith('#')).length;

    // The real thing: GET /prometheus from the backend process.
    const server = await startBackend(dbPath);
    let http;
    try {
      http = await timed(repeats, async () => {
        const res = await fetch(`${server.url}/prometheus`);
        if (!res.ok) throw new Error(`GET /prometheus: HTTP ${res.status}`);
        return (await res.arrayBuffer()).byteLength;
      });
    } finally {
      await server.stop();
    }

    printReport(
      'prometheus',
      `${repeats} sequential renders of ${devices} devices (${series.toLocaleString()} series, ${problems.length} open alerts)`,
      [
        ['step', 'p50 ms', 'p99 ms'],
        ['GET /prometheus (HTTP, backend process)', http.p50, http.p99],
        ['  read: devices + latest sample, alert_state', read.p50, read.p99],
        ['  render by hand (used)', byHand.p50, byHand.p99],
        ['  render through prom-client gauges', withPromClient.p50, withPromClient.p99],
      ],
      {
        devices,
        series,
        answer_bytes: http.last,
        ms: {
          http: { p50: http.p50, p99: http.p99 },
          read: { p50: read.p50, p99: read.p99 },
          by_hand: { p50: byHand.p50, p99: byHand.p99 },
          prom_client: { p50: withPromClient.p50, p99: withPromClient.p99 },
        },
      },
    );
  } finally {
    await dir.remove();
  }
}

await main();
