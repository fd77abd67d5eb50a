// Running a simulated fleet against a backend: every machine sends a sample each interval (with
// jitter), at most `concurrency` requests are in flight, and each request is timed and counted.
// Each agent sends one sample at a time, like the real agent: when the backend falls behind, the
// agent's next sample goes out as soon as the previous one is answered and is counted late.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { HttpFailure, createHttpClient } from '../http-client.js';
import { type SimulatedMachine, createSimulatedFleet } from './machine.js';
import { createRng, mixSeed } from './random.js';
import { type FleetTotals, LatencyHistogram } from './report.js';

export interface FleetConfig {
  /** Without credentials (they are in `authorization`). */
  server: string;
  /** Authorization header of every request: an admin token may send samples for every machine. */
  authorization?: string | undefined;
  agents: number;
  intervalSeconds: number;
  /** How long to run; undefined = until stop(). */
  durationSeconds: number | undefined;
  faultRate: number;
  seed: number;
  /** Most requests in flight at once. */
  concurrency: number;
  timeoutMs: number;
  idPrefix: string;
}

export type PostOutcome = { ok: true } | { ok: false; reason: string };
/** One POST /metrics of a JSON body. */
export type PostSample = (body: string, signal: AbortSignal) => Promise<PostOutcome>;

/** Time as the fleet sees it; a parameter so tests can drive it. */
export interface FleetClock {
  /** Milliseconds since the epoch (what the samples are stamped with). */
  now(): number;
  /** Milliseconds on a clock that never jumps (for schedules and latencies). */
  monotonic(): number;
  /** Calls `fn` after `ms`; the returned function cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: FleetClock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/** Why a request failed, as a short key to count by: `ECONNREFUSED`, `ECONNRESET`, ... */
export interface HttpPoster extends PostSample {
  /** Closes the idle keep-alive connections, so the process can exit. */
  close(): void;
}

/** POSTs to the backend over keep-alive connections, at most `maxSockets` of them (agent/http-client.ts). */
export function httpPoster(server: string, timeoutMs: number, maxSockets: number, authorization?: string): HttpPoster {
  const client = createHttpClient(server, maxSockets, authorization);
  const post = (body: string, signal: AbortSignal): Promise<PostOutcome> =>
    client.post('metrics', body, { timeoutMs, signal }).then(
      ({ status }) => (status >= 200 && status < 300 ? { ok: true } : { ok: false, reason: `HTTP ${status}` }),
      (err: unknown) => ({ ok: false, reason: err instanceof HttpFailure ? err.reason : String(err) }),
    );
  return Object.assign(post, { close: () => client.close() });
}

/** At most `limit` holders at once; the others wait in order. */
class Limiter {
  private active = 0;
  private readonly waiting: Array<(granted: boolean) => void> = [];
  constructor(private readonly limit: number) {}

  acquire(): Promise<boolean> {
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(true);
    else this.active -= 1;
  }

  /** Turns every waiter away (the run is stopping). */
  close(): void {
    for (const waiter of this.waiting.splice(0)) waiter(false);
  }
}

export interface FleetRun {
  /** The fleet's machines, in order. */
  readonly machines: readonly SimulatedMachine[];
  /** Stop sending new samples; the requests in flight are still answered. */
  stop(): void;
  /** Stop, and give up on the requests in flight too (they count as failed: `aborted`). */
  abort(): void;
  /** The counters so far. */
  totals(): FleetTotals;
  /** Seconds since the start (until the end, once finished). */
  elapsedSeconds(): number;
  /** Resolves when the duration is over (or after stop()) and every request has been answered. */
  readonly done: Promise<FleetTotals>;
}

export interface FleetDeps {
  /** Default: httpPoster to config.server, closed at the end of the run. */
  post?: PostSample;
  clock?: FleetClock;
  /** Told of every sample the backend accepted (fleetmon-sim --acknowledged writes them down). */
  onAccepted?: (agentId: string, sampleId: string | undefined) => void;
}

export function runFleet(config: FleetConfig, deps: FleetDeps = {}): FleetRun {
  const clock = deps.clock ?? systemClock;
  let poster: HttpPoster | undefined;
  const post: PostSample = deps.post ?? (poster = httpPoster(config.server, config.timeoutMs, config.concurrency, config.authorization));
  const machines = createSimulatedFleet(config);
  // The schedule has its own stream, so the machines' samples do not depend on it.
  const scheduleRng = createRng(mixSeed(config.seed, 0xffffffff));
  const intervalMs = config.intervalSeconds * 1000;
  const limiter = new Limiter(config.concurrency);
  const aborter = new AbortController();
  // Every request in flight listens on this one signal.
  setMaxListeners(0, aborter.signal);

  const totals = {
    sent: 0,
    accepted: 0,
    failed: 0,
    failures: {} as Record<string, number>,
    late: 0,
    inFlight: 0,
    latency: new LatencyHistogram(),
  };
  const startedAt = clock.monotonic();
  const endAt = config.durationSeconds === undefined ? Number.POSITIVE_INFINITY : startedAt + config.durationSeconds * 1000;
  let finishedAt: number | undefined;
  let stopped = false;
  const sleepers = new Set<() => void>();

  /** Waits until the monotonic clock reaches `at`, or until stop(). */
  const sleepUntil = (at: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        sleepers.delete(wake);
        cancel();
        resolve();
      };
      const cancel = clock.setTimer(wake, Math.max(0, at - clock.monotonic()));
      sleepers.add(wake);
    });

  async function sendOne(machine: SimulatedMachine): Promise<void> {
    const payload = machine.next(clock.now() / 1000);
    const body = JSON.stringify(payload);
    totals.sent += 1;
    totals.inFlight += 1;
    const begin = clock.monotonic();
    let outcome: PostOutcome;
    try {
      outcome = await post(body, aborter.signal);
    } catch (err) {
      // A PostSample given by a test may throw instead of answering.
      outcome = { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    totals.inFlight -= 1;
    if (outcome.ok) {
      totals.accepted += 1;
      totals.latency.record(clock.monotonic() - begin);
      deps.onAccepted?.(payload.agent_id, payload.sample_id);
    } else {
      totals.failed += 1;
      totals.failures[outcome.reason] = (totals.failures[outcome.reason] ?? 0) + 1;
      // An HTTP error is an answer too, and its time says something about the backend.
      if (outcome.reason.startsWith('HTTP ')) totals.latency.record(clock.monotonic() - begin);
    }
  }

  async function runAgent(machine: SimulatedMachine, offsetMs: number): Promise<void> {
    let due = startedAt + offsetMs;
    for (;;) {
      if (stopped || due >= endAt) return;
      await sleepUntil(due);
      if (stopped) return;
      if (!(await limiter.acquire())) return;
      // A sample that waited for a free slot past the end of the run is not sent.
      if (stopped || clock.monotonic() >= endAt) {
        limiter.release();
        return;
      }
      if (clock.monotonic() - due > intervalMs / 2) totals.late += 1;
      try {
        await sendOne(machine);
      } finally {
        limiter.release();
      }
      // ±10 % jitter per tick; when behind, the next sample goes out at once rather than in a burst.
      due = Math.max(due + intervalMs * scheduleRng.between(0.9, 1.1), clock.monotonic());
    }
  }

  function stop(): void {
    stopped = true;
    limiter.close();
    for (const wake of [...sleepers]) wake();
  }

  const snapshot = (): FleetTotals => ({
    ...totals,
    failures: { ...totals.failures },
    faultsStarted: machines.reduce((sum, m) => sum + m.faultsStarted, 0),
    faultyNow: machines.reduce((sum, m) => sum + (m.fault ? 1 : 0), 0),
  });

  // Each agent starts at a random moment within the first interval, as a real fleet would.
  const agents = machines.map((machine) => runAgent(machine, scheduleRng.next() * intervalMs));
  const done = Promise.all(agents).then(() => {
    finishedAt = clock.monotonic();
    stopped = true;
    poster?.close();
    return snapshot();
  });

  return {
    machines,
    stop,
    abort() {
      stop();
      aborter.abort();
    },
    totals: snapshot,
    elapsedSeconds: () => ((finishedAt ?? clock.monotonic()) - startedAt) / 1000,
    done,
  };
}
