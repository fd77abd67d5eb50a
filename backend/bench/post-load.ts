// Sustained POST /metrics load with autocannon, cycling through pre-serialised bodies.
import autocannon from 'autocannon';
import { round } from './report.js';

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  sent: number;
  errors: number;
  non2xx: number;
}

/** With several URLs (backends on one database) autocannon spreads the connections over them in turn. */
export async function postLoad(url: string | readonly string[], bodies: readonly string[], options: { connections: number; duration: number }): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    // autocannon takes an array of URLs (lib/run.js, connection i to url i % n); its types say string only.
    url: url as string,
    connections: options.connections,
    duration: options.duration,
    requests: [
      {
        method: 'POST',
        path: '/metrics',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length]! }),
      },
    ],
  });
  return {
    requestsPerSecond: round(result.requests.average, 0),
    p50: result.latency.p50,
    p99: result.latency.p99,
    sent: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
