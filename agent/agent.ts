// The agent's main loop: sample every interval into the spool, and drain the spool to the backend.
import { randomUUID } from 'node:crypto';
import type { MetricsPayload } from '../shared/payload.js';
import { type Sampler, createSampler } from './collect.js';
import { clockDriftFromServer, measureNtpDrift } from './collectors/ntp.js';
import { type AgentConfig, AgentConfigError } from './config.js';
import { errorMessage } from './collectors/errors.js';
import { Delivery } from './delivery.js';
import type { AgentLog } from './log.js';
import { type HttpClient, createHttpClient } from './http-client.js';
import { type SendResult, readServerClock, sendSample } from './send.js';
import { Spool } from './spool.js';

export interface RunningAgent {
  spool: Spool;
  delivery: Delivery;
  /** Stop sampling, leave what is unsent in the spool. */
  stop(): Promise<void>;
}

/** CPU and network figures cover the time since the previous reading; the first needs a window. */
const FIRST_WINDOW_MS = 1000;

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * A collector that fails, fails at every sample for months: say each distinct problem once, not
 * every interval into the journal.
 */
function warnOncePerProblem(log: AgentLog): (message: string) => void {
  const said = new Set<string>();
  return (message) => {
    if (said.has(message)) return;
    if (said.size >= 1000) said.clear(); // messages that vary must not grow this forever
    said.add(message);
    log.warn(`${message} (logged once; the same warning is not repeated)`);
  };
}

export function samplerFor(config: AgentConfig, log: AgentLog): Sampler {
  const warn = warnOncePerProblem(log);
  return createSampler({
    ctx: { procRoot: config.procRoot, sysRoot: config.sysRoot },
    agentId: config.agentId,
    criticalProcesses: config.criticalProcesses,
    customCheckTimeoutMs: config.customCheckTimeoutMs,
    warn,
    ...(config.customCheck !== undefined ? { customCheck: config.customCheck } : {}),
  });
}

/** Clock drift: by SNTP when an NTP server is configured, else from the backend's last answer. */
class DriftTracker {
  private fromServer: number | undefined;
  private ntpFailing = false;

  constructor(
    private readonly config: AgentConfig,
    private readonly log: AgentLog,
    /** The backend, when there is one to compare clocks with. */
    private readonly backend: HttpClient | undefined,
  ) {}

  noteAnswer(result: { sentAt: number; receivedAt: number; serverTime: number | undefined }): void {
    if (result.serverTime === undefined) return;
    this.fromServer = clockDriftFromServer(result.sentAt / 1000, result.receivedAt / 1000, result.serverTime);
  }

  async current(): Promise<number | undefined> {
    const ntp = this.config.ntpServer;
    if (!ntp) {
      // Until a POST has been answered, ask the backend's clock directly.
      if (this.fromServer === undefined && this.backend) {
        const clock = await readServerClock(this.backend, Math.min(this.config.timeoutMs, 2000));
        if (clock) this.noteAnswer(clock);
      }
      return this.fromServer;
    }
    try {
      const { drift_seconds } = await measureNtpDrift(ntp.host, { port: ntp.port });
      if (this.ntpFailing) this.log.info(`NTP server ${ntp.host} answers again`);
      this.ntpFailing = false;
      return drift_seconds;
    } catch (err) {
      if (!this.ntpFailing) this.log.warn(`cannot measure clock drift against ${ntp.host}: ${(err as Error).message}; sending samples without time_drift`);
      this.ntpFailing = true;
      return undefined;
    }
  }
}

async function takeSample(sampler: Sampler, drift: DriftTracker, config: AgentConfig): Promise<MetricsPayload> {
  const driftSeconds = await drift.current();
  const payload = await sampler.sample(driftSeconds === undefined ? {} : { drift_seconds: driftSeconds });
  return { ...payload, sample_id: randomUUID(), interval_seconds: config.intervalMs / 1000 };
}

/**
 * --print and --once: one sample, taken after a short window so CPU and network figures mean
 * something, and with --once sent at once (no spool: the exit status says whether it arrived).
 */
export async function oneSample(config: AgentConfig, log: AgentLog): Promise<{ payload: MetricsPayload; sent?: SendResult }> {
  const backend = config.server ? createHttpClient(config.server, 1, config.authorization) : undefined;
  try {
    const sampler = samplerFor(config, log);
    await sleep(Math.min(FIRST_WINDOW_MS, config.intervalMs));
    const payload = await takeSample(sampler, new DriftTracker(config, log, backend), config);
    if (config.print || !backend) return { payload };
    return { payload, sent: await sendSample(backend, { ...payload, age_seconds: 0 }, { timeoutMs: config.timeoutMs }) };
  } finally {
    backend?.close();
  }
}

export async function startAgent(config: AgentConfig, log: AgentLog): Promise<RunningAgent> {
  if (!config.server) throw new Error('no server configured');
  const backend = createHttpClient(config.server, 1, config.authorization);
  const spool = await Spool.open(config.spoolDir, config.spoolMaxBytes, log).catch((err: unknown) => {
    throw new AgentConfigError(
      `--spool-dir ${config.spoolDir} cannot be used (${errorMessage(err)}): give a directory this user can create and write, ` +
        'with --spool-dir or FLEETMON_SPOOL_DIR',
    );
  });
  const drift = new DriftTracker(config, log, backend);
  const delivery = new Delivery(
    spool,
    (sample, signal) =>
      sendSample(backend, { ...sample.payload, age_seconds: Math.max(0, (Date.now() - sample.collectedAt) / 1000) }, { timeoutMs: config.timeoutMs, signal }),
    { backoff: { baseMs: 1000, maxMs: config.retryMaxMs }, log, onAccepted: (result) => drift.noteAnswer(result) },
  );
  const sampler = samplerFor(config, log);
  if (spool.count > 0) log.info(`${spool.count} sample(s) from an earlier run wait in ${spool.dir}; sending them first`);
  void delivery.drain();

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();
  const started = Date.now();
  const firstAt = started + Math.min(FIRST_WINDOW_MS, config.intervalMs);

  const tick = async () => {
    try {
      const collectedAt = Date.now();
      const payload = await takeSample(sampler, drift, config);
      // Spooled even when stopping: a sample measured is a sample kept.
      await spool.put(payload, collectedAt);
      if (!stopped) void delivery.drain();
    } catch (err) {
      log.error(`sampling failed: ${(err as Error).stack ?? String(err)}`);
    }
  };

  // Ticks stay on a fixed cadence from the first one; a slow tick skips the ones it overran.
  const schedule = (at: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick();
      void ticking.then(() => {
        const now = Date.now();
        const missed = Math.max(0, Math.floor((now - at) / config.intervalMs));
        schedule(at + (missed + 1) * config.intervalMs);
      });
    }, Math.max(0, at - Date.now()));
  };
  schedule(firstAt);

  return {
    spool,
    delivery,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      await delivery.stop();
      backend.close();
    },
  };
}
