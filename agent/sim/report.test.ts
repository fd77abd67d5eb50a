// The numbers of the final report, and how they read.
import { describe, expect, it } from 'vitest';
import { type FleetTotals, LatencyHistogram, buildReport, formatProgress, formatReportTable } from './report.js';
import { createRng } from './random.js';

const settings = { server: 'http://127.0.0.1:8000/', agents: 50, intervalSeconds: 1 };

function totalsWith(latencies: number[], overrides: Partial<FleetTotals> = {}): FleetTotals {
  const latency = new LatencyHistogram();
  for (const ms of latencies) latency.record(ms);
  return { sent: 300, accepted: 297, failed: 3, failures: { ECONNRESET: 1, 'HTTP 503': 2 }, late: 0, inFlight: 0, faultsStarted: 17, faultyNow: 4, latency, ...overrides };
}

describe('LatencyHistogram', () => {
  it('gives percentiles within 1 % of the exact ones, and the exact max', () => {
    const rng = createRng(5);
    const values = Array.from({ length: 50_000 }, () => Math.exp(rng.normal() * 1.5) * 3);
    const histogram = new LatencyHistogram();
    for (const v of values) histogram.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      expect(Math.abs(histogram.percentile(q) - exact) / exact).toBeLessThan(0.01);
    }
    expect(histogram.maxMs).toBe(sorted.at(-1));
    expect(histogram.percentile(1)).toBe(sorted.at(-1));
    expect(histogram.count).toBe(50_000);
  });

  it('answers 0 when empty and handles tiny values', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.percentile(0.5)).toBe(0);
    histogram.record(0);
    histogram.record(0.001);
    expect(histogram.percentile(0.5)).toBeLessThanOrEqual(0.01);
  });
});

describe('the final report', () => {
  it('is one JSON object with the counts, failures by reason, percentiles and rate', () => {
    const report = buildReport(settings, totalsWith(Array.from({ length: 100 }, (_, i) => i + 1)), 6.0123);
    expect(report).toEqual({
      agents: 50,
      interval_s: 1,
      duration_s: 6.012,
      sent: 300,
      accepted: 297,
      failed: 3,
      failures: { 'HTTP 503': 2, ECONNRESET: 1 },
      latency_ms: { p50: expect.any(Number), p90: expect.any(Number), p99: expect.any(Number), max: 100 },
      rate_per_s: 49.9,
      faults_started: 17,
      late: 0,
    });
    // Percentiles are the upper edges of 1 % buckets: never under, at most 1 % over.
    for (const [q, exact] of [['p50', 50], ['p90', 90], ['p99', 99]] as const) {
      expect(report.latency_ms[q]).toBeGreaterThanOrEqual(exact);
      expect(report.latency_ms[q]).toBeLessThanOrEqual(exact * 1.01);
    }
    // Failures come most frequent first.
    expect(Object.keys(report.failures)).toEqual(['HTTP 503', 'ECONNRESET']);
  });

  it('reads as a short table, failures listed under their count', () => {
    const report = buildReport(settings, totalsWith([1.5, 2, 40]), 6);
    const table = formatReportTable(settings, report);
    expect(table).toContain('fleetmon-sim: 50 agents every 1 s for 6.0 s against http://127.0.0.1:8000/');
    expect(table).toMatch(/sent\s+300 \(50\/s\)/);
    expect(table).toMatch(/failed\s+3\n\s+HTTP 503: 2\n\s+ECONNRESET: 1\n/);
    expect(table).toMatch(/latency\s+p50 2\.0\d ms, p90 40\.0 ms, p99 40\.0 ms, max 40\.0 ms/);
    expect(table).toMatch(/faults\s+17 started/);
  });

  it('shows progress with the rate over the last stretch', () => {
    const line = formatProgress(totalsWith([3], { sent: 600, inFlight: 2 }), 100, 20, 10);
    expect(line).toMatch(/^\[fleetmon-sim\] 20 s: sent 600, accepted 297, failed 3 \(ECONNRESET 1, HTTP 503 2\); 50\.0\/s/);
    expect(line).toContain('in flight 2');
    expect(line).toContain('4 machine(s) in a fault');
  });
});
