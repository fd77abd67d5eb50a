// Draining the spool to the backend, oldest sample first. While the backend is away, attempts
// back off exponentially with jitter; the agent keeps sampling into the spool meanwhile.
import type { SendResult } from './send.js';
import type { SpooledSample, Spool } from './spool.js';

export interface DeliveryLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface BackoffPolicy {
  /** Wait after the first failure, in ms. */
  baseMs: number;
  /** Longest wait between attempts, in ms. */
  maxMs: number;
}

/** Exponential backoff with "equal jitter": half the step fixed, half random, never over max. */
export function backoffDelayMs(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  return step / 2 + random() * (step / 2);
}

export type Send = (sample: SpooledSample, signal: AbortSignal) => Promise<SendResult>;

export interface DeliveryOptions {
  backoff: BackoffPolicy;
  log: DeliveryLog;
  now?: () => number;
  random?: () => number;
  /** Called for each accepted sample (the agent measures clock drift from the answer). */
  onAccepted?: (result: Extract<SendResult, { kind: 'accepted' }>) => void;
}

export class Delivery {
  private failures = 0;
  private retryAt = 0;
  private draining: Promise<void> | undefined;
  private again = false;
  private readonly abort = new AbortController();
  private unavailableSince: number | undefined;
  private problem: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  delivered = 0;

  constructor(
    private readonly spool: Spool,
    private readonly send: Send,
    private readonly options: DeliveryOptions,
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Send what the spool holds, unless backing off. Concurrent calls share one drain. */
  drain(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      do {
        this.again = false;
        await this.drainOnce();
      } while (this.again && !this.abort.signal.aborted && this.now() >= this.retryAt);
    })().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** When the next attempt is due, in ms since the epoch (0: now). */
  get nextAttemptAt(): number {
    return this.retryAt;
  }

  /** Stop: cut the request in flight (its sample stays spooled) and wait for the drain to end. */
  async stop(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.abort.abort();
    await this.draining;
  }

  private async drainOnce(): Promise<void> {
    while (!this.abort.signal.aborted && this.now() >= this.retryAt) {
      const sample = await this.spool.oldest();
      if (!sample) return;
      const result = await this.send(sample, this.abort.signal);
      if (this.abort.signal.aborted) return;
      switch (result.kind) {
        case 'accepted':
          await this.spool.remove(sample.name);
          this.delivered += 1;
          this.recovered();
          this.options.onAccepted?.(result);
          break;
        case 'rejected':
          // The backend will never take this sample: say why once, and move on.
          this.options.log.warn(`backend rejected sample ${sample.payload.sample_id ?? sample.name} (HTTP ${result.status}): ${result.message}; dropping it`);
          await this.spool.remove(sample.name);
          this.recovered();
          break;
        case 'unavailable':
          this.failed('unavailable', `backend unavailable (${result.reason}); keeping samples in the spool and retrying with backoff`);
          return;
        case 'refused':
          // Never dropped for this: the samples are good, the token is what must change.
          this.failed(
            `refused: ${result.message}`,
            `the backend refused the token (HTTP ${result.status}): ${result.message}; keeping samples in the spool and retrying with backoff until the token is fixed`,
          );
          return;
      }
    }
  }

  /** `message` is logged when the problem starts, and again only when it becomes another (`problem`). */
  private failed(problem: string, message: string): void {
    this.failures += 1;
    const delay = backoffDelayMs(this.failures, this.options.backoff, this.options.random);
    this.retryAt = this.now() + delay;
    // Retry on time even when the sampling interval is longer than the backoff.
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.drain(), delay);
    this.retryTimer.unref();
    this.unavailableSince ??= this.now();
    if (problem !== this.problem) {
      this.problem = problem;
      this.options.log.warn(message);
    }
  }

  private recovered(): void {
    if (this.unavailableSince !== undefined) {
      const away = ((this.now() - this.unavailableSince) / 1000).toFixed(0);
      const what = this.problem === 'unavailable' ? `backend reachable again after ${away} s` : `the backend accepts the token now (refused for ${away} s)`;
      this.options.log.info(`${what}; sending ${this.spool.count + 1} spooled sample(s)`);
      this.unavailableSince = undefined;
      this.problem = undefined;
    }
    this.failures = 0;
    this.retryAt = 0;
  }
}
