// What a simulator run measured, and how it is shown: a progress line while running, a short
// table and one JSON line at the end. Pure: numbers in, text out.

/**
 * Latencies in logarithmic buckets 1 % wide: percentiles to within 1 % in constant memory, however
 * long the run (an hour of 10 000 agents is 3.6 million requests).
 */
export class LatencyHistogram {
  private static readonly smallestMs = 0.01;
  private static readonly logRatio = Math.log(1.01);
  private readonly buckets: number[] = [];
  count = 0;
  maxMs = 0;

  record(ms: number): void {
    const value = Math.max(ms, LatencyHistogram.smallestMs);
    const index = Math.ceil(Math.log(value / LatencyHistogram.smallestMs) / LatencyHistogram.logRatio - 1e-9);
    this.buckets[index] = (this.buckets[index] ?? 0) + 1;
    this.count += 1;
    this.maxMs = Math.max(this.maxMs, ms);
  }

  /** The latency `q` (0..1) of the requests were at or under: the upper edge of its bucket. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i] ?? 0;
      if (seen >= rank) return Math.min(this.maxMs, LatencyHistogram.smallestMs * Math.exp(i * LatencyHistogram.logRatio));
    }
    return this.maxMs;
  }
}

/** Counters of a run so far. */
export interface FleetTotals {
  /** Requests started (at the end, after the last answers, sent = accepted + failed). */
  sent: number;
  /** Answered 2xx. */
  accepted: number;
  failed: number;
  /** Failed requests by reason: `HTTP 503`, `ECONNREFUSED`, `timeout`, `aborted`, ... */
  failures: Record<string, number>;
  /** Samples that went out more than half an interval after they were due (backend or simulator overloaded). */
  late: number;
  inFlight: number;
  faultsStarted: number;
  /** Machines whose latest sample was in a fault. */
  faultyNow: number;
  latency: LatencyHistogram;
}

export interface RunSettings {
  server: string;
  agents: number;
  intervalSeconds: number;
}

/** The final JSON line, for scripts and benchmarks. */
export interface SimReport {
  agents: number;
  interval_s: number;
  duration_s: number;
  sent: number;
  accepted: number;
  failed: number;
  failures: Record<string, number>;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  /** Requests sent per second over the whole run. */
  rate_per_s: number;
  faults_started: number;
  late: number;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function buildReport(settings: RunSettings, totals: FleetTotals, durationSeconds: number): SimReport {
  const { latency } = totals;
  return {
    agents: settings.agents,
    interval_s: settings.intervalSeconds,
    duration_s: round(durationSeconds, 3),
    sent: totals.sent,
    accepted: totals.accepted,
    failed: totals.failed,
    failures: Object.fromEntries(Object.entries(totals.failures).sort(([, a], [, b]) => b - a)),
    latency_ms: {
      p50: round(latency.percentile(0.5), 2),
      p90: round(latency.percentile(0.9), 2),
      p99: round(latency.percentile(0.99), 2),
      max: round(latency.maxMs, 2),
    },
    rate_per_s: durationSeconds > 0 ? round(totals.sent / durationSeconds, 1) : 0,
    faults_started: totals.faultsStarted,
    late: totals.late,
  };
}

const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;

/** One line every few seconds on stderr; the rate is over the last stretch, not the whole run. */
export function formatProgress(totals: FleetTotals, previousSent: number, elapsedSeconds: number, stretchSeconds: number): string {
  const rate = stretchSeconds > 0 ? (totals.sent - previousSent) / stretchSeconds : 0;
  const failed = totals.failed === 0 ? 'failed 0' : `failed ${totals.failed} (${Object.entries(totals.failures).map(([why, n]) => `${why} ${n}`).join(', ')})`;
  return (
    `[fleetmon-sim] ${elapsedSeconds.toFixed(0)} s: sent ${totals.sent}, accepted ${totals.accepted}, ${failed}; ` +
    `${rate.toFixed(1)}/s, p50 ${ms(totals.latency.percentile(0.5))}, p99 ${ms(totals.latency.percentile(0.99))}; ` +
    `in flight ${totals.inFlight}, late ${totals.late}; ${totals.faultyNow} machine(s) in a fault`
  );
}

/** The human summary printed before the JSON line. */
export function formatReportTable(settings: RunSettings, report: SimReport): string {
  const pad = (label: string) => `  ${label.padEnd(10)}`;
  const lines = [
    `fleetmon-sim: ${report.agents} agents every ${report.interval_s} s for ${report.duration_s.toFixed(1)} s against ${settings.server}`,
    `${pad('sent')}${report.sent} (${report.rate_per_s}/s)`,
    `${pad('accepted')}${report.accepted}`,
    `${pad('failed')}${report.failed}`,
    ...Object.entries(report.failures).map(([why, n]) => `${pad('')}  ${why}: ${n}`),
    `${pad('latency')}p50 ${ms(report.latency_ms.p50)}, p90 ${ms(report.latency_ms.p90)}, p99 ${ms(report.latency_ms.p99)}, max ${ms(report.latency_ms.max)}`,
    `${pad('late')}${report.late}`,
    `${pad('faults')}${report.faults_started} started`,
  ];
  return `${lines.join('\n')}\n`;
}
