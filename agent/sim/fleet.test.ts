// The fleet runner on a test clock: schedule and jitter, the concurrency limit, counting by
// outcome, stopping; and the HTTP poster against small real servers.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { metricsPayloadSchema } from '../../shared/payload.js';
import { type FleetClock, type FleetConfig, type PostOutcome, type PostSample, httpPoster, runFleet } from './fleet.js';

const EPOCH_MS = 1_700_000_000_000;

/** A clock that moves only when the test says so; timers fire in order as it passes them. */
function testClock() {
  let t = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const flush = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  const clock: FleetClock = {
    now: () => EPOCH_MS + t,
    monotonic: () => t,
    setTimer(fn, ms) {
      const id = seq++;
      timers.set(id, { at: t + ms, fn });
      return () => timers.delete(id);
    },
  };
  return {
    clock,
    /** Moves the clock to `to` ms, firing every timer due on the way. */
    async advance(to: number) {
      for (;;) {
        await flush();
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers) if (entry[1].at <= to && (!next || entry[1].at < next[1].at)) next = entry;
        if (!next) break;
        timers.delete(next[0]);
        t = Math.max(t, next[1].at);
        next[1].fn();
      }
      t = to;
      await flush();
    },
    /** Resolves after `ms` of test time. */
    after: (ms: number) => new Promise<void>((resolve) => clock.setTimer(resolve, ms)),
  };
}

const config = (overrides: Partial<FleetConfig> = {}): FleetConfig => ({
  server: 'http://127.0.0.1:1/',
  agents: 20,
  intervalSeconds: 1,
  durationSeconds: 10,
  faultRate: 0.1,
  seed: 42,
  concurrency: 256,
  timeoutMs: 10_000,
  idPrefix: 'sim',
  ...overrides,
});

describe('runFleet', () => {
  it('sends each agent every interval, ±10 %, starting at a random moment of the first', async () => {
    const time = testClock();
    const sends = new Map<string, number[]>();
    const post: PostSample = async (body) => {
      const payload = metricsPayloadSchema.parse(JSON.parse(body));
      sends.set(payload.agent_id, [...(sends.get(payload.agent_id) ?? []), time.clock.monotonic()]);
      await time.after(50);
      return { ok: true };
    };
    const run = runFleet(config(), { post, clock: time.clock });
    await time.advance(11_000);
    const totals = await run.done;

    expect(sends.size).toBe(20);
    const firsts = [...sends.values()].map((times) => times[0]!);
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...firsts)).toBeLessThan(1000);
    // Spread out, not all at once.
    expect(new Set(firsts.map((f) => Math.floor(f / 100))).size).toBeGreaterThan(5);
    for (const times of sends.values()) {
      expect(times.length).toBeGreaterThanOrEqual(9);
      expect(times.length).toBeLessThanOrEqual(11);
      for (let i = 1; i < times.length; i++) {
        const gap = times[i]! - times[i - 1]!;
        expect(gap).toBeGreaterThanOrEqual(900);
        expect(gap).toBeLessThanOrEqual(1100);
      }
      expect(times.at(-1)).toBeLessThan(10_000);
    }
    const sent = [...sends.values()].reduce((n, times) => n + times.length, 0);
    expect(totals).toMatchObject({ sent, accepted: sent, failed: 0, failures: {}, late: 0, inFlight: 0 });
    expect(totals.latency.count).toBe(sent);
    expect(totals.latency.percentile(0.5)).toBeCloseTo(50, 0);
    expect(totals.latency.maxMs).toBe(50);
    expect(run.elapsedSeconds()).toBeLessThanOrEqual(10.05);
  });

  it('keeps at most --concurrency requests in flight, and counts the samples that went out late', async () => {
    const time = testClock();
    let inFlight = 0;
    let most = 0;
    const post: PostSample = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await time.after(200);
      inFlight -= 1;
      return { ok: true };
    };
    // 50 agents, 5 at a time, 200 ms each: a round takes 2 s, twice the interval.
    const run = runFleet(config({ agents: 50, concurrency: 5, durationSeconds: 6 }), { post, clock: time.clock });
    await time.advance(10_000);
    const totals = await run.done;
    expect(most).toBe(5);
    expect(totals.sent).toBeGreaterThanOrEqual(145);
    expect(totals.sent).toBeLessThanOrEqual(155);
    expect(totals.late).toBeGreaterThan(50);
    expect(totals.accepted).toBe(totals.sent);
  });

  it('counts failures by reason, HTTP status or network error', async () => {
    const time = testClock();
    const answers: PostOutcome[] = [{ ok: true }, { ok: false, reason: 'HTTP 503' }, { ok: false, reason: 'ECONNREFUSED' }];
    let n = 0;
    const post: PostSample = async () => answers[n++ % answers.length]!;
    const run = runFleet(config({ agents: 3, durationSeconds: 3 }), { post, clock: time.clock });
    await time.advance(5_000);
    const totals = await run.done;
    expect(totals.sent).toBe(9);
    expect(totals).toMatchObject({ accepted: 3, failed: 6, failures: { 'HTTP 503': 3, ECONNREFUSED: 3 } });
    // Answers, even errors, are timed; connection failures are not.
    expect(totals.latency.count).toBe(6);
  });

  it('runs until stop(), then waits for the answers in flight', async () => {
    const time = testClock();
    let sent = 0;
    const post: PostSample = async () => {
      sent += 1;
      await time.after(300);
      return { ok: true };
    };
    const run = runFleet(config({ agents: 10, durationSeconds: undefined }), { post, clock: time.clock });
    await time.advance(30_000);
    expect(sent).toBeGreaterThanOrEqual(280);
    expect(run.totals().inFlight).toBeGreaterThan(0);
    run.stop();
    const sentBeforeStop = sent;
    await time.advance(31_000);
    const totals = await run.done;
    expect(totals).toMatchObject({ sent: sentBeforeStop, accepted: sentBeforeStop, inFlight: 0 });
    await time.advance(40_000);
    expect(sent).toBe(sentBeforeStop);
    // Finished when the last answer came, at most 300 ms after the stop.
    expect(run.elapsedSeconds()).toBeGreaterThan(30);
    expect(run.elapsedSeconds()).toBeLessThanOrEqual(30.3);
  });

  it('gives up on the requests in flight on abort()', async () => {
    const time = testClock();
    const post: PostSample = (_body, signal) =>
      new Promise((resolve) => signal.addEventListener('abort', () => resolve({ ok: false, reason: 'aborted' })));
    const run = runFleet(config({ agents: 4, durationSeconds: undefined }), { post, clock: time.clock });
    await time.advance(2_000);
    expect(run.totals().inFlight).toBe(4);
    run.abort();
    const totals = await run.done;
    expect(totals).toMatchObject({ sent: 4, accepted: 0, failed: 4, failures: { aborted: 4 }, inFlight: 0 });
  });

  it('sends the same samples for the same seed and times', async () => {
    const bodies = async (seed: number) => {
      const time = testClock();
      const seen: string[] = [];
      const post: PostSample = async (body) => (seen.push(body), { ok: true });
      const run = runFleet(config({ agents: 5, seed, durationSeconds: 5 }), { post, clock: time.clock });
      await time.advance(6_000);
      await run.done;
      return seen.sort();
    };
    expect(await bodies(3)).toEqual(await bodies(3));
    expect(await bodies(3)).not.toEqual(await bodies(4));
  });
});

describe('httpPoster', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r) ?? r(undefined));
    server = undefined;
  });
  const listen = async (handler: Parameters<typeof createServer>[1]) => {
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const never = new AbortController().signal;

  it('posts JSON to /metrics and tells 2xx from HTTP errors', async () => {
    const seen: string[] = [];
    const url = await listen((req, res) => {
      let body = '';
      req.on('data', (d) => (body += String(d)));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers['content-type']} ${body}`);
        res.statusCode = body.includes('bad') ? 400 : 200;
        res.end('{"ok":true}');
      });
    });
    const post = httpPoster(`${url}/prefix/`, 1000, 4);
    expect(await post('{"agent_id":"a"}', never)).toEqual({ ok: true });
    expect(await post('{"agent_id":"bad"}', never)).toEqual({ ok: false, reason: 'HTTP 400' });
    expect(seen).toEqual(['POST /prefix/metrics application/json {"agent_id":"a"}', 'POST /prefix/metrics application/json {"agent_id":"bad"}']);
    post.close();
  });

  it('reports a timeout, a refused connection and an abort', async () => {
    const url = await listen(() => {
      // never answers
    });
    const post = httpPoster(url, 200, 4);
    expect(await post('{}', never)).toEqual({ ok: false, reason: 'timeout' });
    const stop = new AbortController();
    const pending = httpPoster(url, 5000, 4)('{}', stop.signal);
    setTimeout(() => stop.abort(), 50);
    expect(await pending).toEqual({ ok: false, reason: 'aborted' });
    // A port that was free a moment ago: nothing listens there.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    expect(await httpPoster(`http://127.0.0.1:${port}`, 1000, 4)('{}', never)).toEqual({ ok: false, reason: 'ECONNREFUSED' });
  });
});
