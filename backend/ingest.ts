// Accepting one sample: store it, move the device on, run the alert engine and record what it
// decided, all in one transaction, so a sample is never stored without its alerts or vice versa.
import type { MetricsPayload } from '../shared/payload.js';
import { evaluateRules, type Transition } from './alerts/engine.js';
import { headlineOf } from './devices/summary.js';
import type { EventBus } from './events.js';
import { nextIntervalEstimate } from './alerts/offline.js';
import type { RuleSet } from './alerts/rule-set.js';
import { type NotifyConfig, noNotifications } from './notify/config.js';
import { alertStateOf, applyEvaluation } from './store/alerts.js';
import type { Db } from './store/db.js';
import { type Logger, silentLogger } from './log.js';
import { findDevice, recordDeviceSeen, recordEarlierSample } from './store/devices.js';
import { enqueueNotifications } from './store/notifications.js';
import { noteSampleForRollups } from './store/rollups.js';
import { findSampleByAgentId, insertSample } from './store/samples.js';
import { findPackedSampleByAgentId, mayRepeatPackedSample } from './store/sample-blocks.js';
import { DEFAULT_WRITE_OPTIONS, StorageFull, type WriteOptions, WriteLockTimeout, deviceWriteTransaction } from './store/write-transaction.js';

export interface IngestResult {
  sampleId: number;
  /** When the sample was measured: receive time minus the agent's age_seconds. */
  timestamp: number;
  /** How the sample was taken: `new` ran the alert engine; `late` (older than the device's latest)
   * went to history only; `duplicate` had been stored before and changed nothing. */
  outcome: 'new' | 'late' | 'duplicate';
  transitions: Transition[];
}

export function recordSample(
  db: Db,
  payload: MetricsPayload,
  receivedAt: number,
  rules: RuleSet,
  options?: WriteOptions,
  notify: NotifyConfig = noNotifications(),
): Promise<IngestResult> {
  return deviceWriteTransaction(db, [payload.agent_id], (trx) => recordSampleIn(trx, payload, receivedAt, rules, notify), options);
}

/**
 * The work of one sample, inside a transaction the caller owns that holds the device's lock
 * (deviceWriteTransaction). It writes only rows of that device, and inserts alerts and
 * notifications; what it reads of other rows (silences, the rollup watermark, when a notification
 * group last went out) only transactions holding the whole write lock change. So ingests of
 * different devices never see or touch each other's work, and may run at once.
 */
async function recordSampleIn(trx: Db, payload: MetricsPayload, receivedAt: number, rules: RuleSet, notify: NotifyConfig): Promise<IngestResult> {
  const deviceId = payload.agent_id;
  // The agent's clock may be wrong; the time since it measured the sample is not.
  const timestamp = receivedAt - (payload.age_seconds ?? 0);
  if (payload.sample_id !== undefined) {
    const stored =
      (await findSampleByAgentId(trx, deviceId, payload.sample_id)) ??
      // A retry of a sample whose hour was packed since (an agent replaying an old spool).
      (mayRepeatPackedSample(timestamp, receivedAt) ? await findPackedSampleByAgentId(trx, deviceId, payload.sample_id, timestamp) : undefined);
    if (stored) return { sampleId: stored.id, timestamp: stored.timestamp, outcome: 'duplicate', transitions: [] };
  }
  const sampleId = await insertSample(trx, payload, timestamp, receivedAt);
  const device = await findDevice(trx, deviceId);
  // Alerts follow time order: a sample older than the latest one must not re-open what it closed.
  const late = device !== undefined && timestamp < device.last_seen;
  if (late) {
    await recordEarlierSample(trx, deviceId, timestamp);
  } else {
    const interval = nextIntervalEstimate(device?.interval_seconds ?? null, device ? timestamp - device.last_seen : null, payload.interval_seconds);
    await recordDeviceSeen(trx, deviceId, timestamp, sampleId, interval);
  }
  // After the device row is written, which carries the mark if rollups must be redone.
  await noteSampleForRollups(trx, deviceId, timestamp);
  if (late) return { sampleId, timestamp, outcome: 'late', transitions: [] };
  const evaluation = evaluateRules(await alertStateOf(trx, deviceId), payload, rules.forDevice(deviceId), timestamp);
  const stored = await applyEvaluation(trx, deviceId, evaluation, timestamp, sampleId);
  // In the same transaction: an alert is never stored without the messages it owes, nor sent without being stored.
  await enqueueNotifications(trx, deviceId, stored, receivedAt, notify);
  return { sampleId, timestamp, outcome: 'new', transitions: evaluation.transitions };
}

/** A sample as POST /metrics hands it over. */
export interface IncomingSample {
  payload: MetricsPayload;
  receivedAt: number;
  /**
   * The body as received, when storing it says exactly what JSON.stringify(payload) would (the
   * schema changed nothing but the order of keys): stored as is, instead of serialised again.
   */
  payloadText?: string | undefined;
}

/** How a batch of samples is stored: in one transaction, each as recordSampleIn does it. */
export interface SampleWriter {
  writeBatch(samples: readonly IncomingSample[]): Promise<IngestResult[]>;
}

/** The Kysely path: any dialect, one awaited query at a time (PostgreSQL; SQLite takes backend/ingest-sqlite.ts). */
export function kyselySampleWriter(db: Db, rules: RuleSet, options: WriteOptions = DEFAULT_WRITE_OPTIONS, notify: NotifyConfig = noNotifications()): SampleWriter {
  return {
    writeBatch: (samples) =>
      deviceWriteTransaction(
        db,
        samples.map((s) => s.payload.agent_id),
        async (trx) => {
          const out: IngestResult[] = [];
          for (const s of samples) out.push(await recordSampleIn(trx, s.payload, s.receivedAt, rules, notify));
          return out;
        },
        options,
      ),
  };
}

interface Job extends IncomingSample {
  resolve: (result: IngestResult) => void;
  reject: (err: unknown) => void;
}

/** Most samples one commit carries; bounds how long the write lock is held. */
const MAX_BATCH = 256;

/** Under load, how long a transaction waits for more samples before it starts (PostgreSQL's commit_delay). */
export const COMMIT_DELAY_MS = 1;

/**
 * Group commit: samples that arrive while a transaction is being written wait for the next one,
 * and go in together. Each is still acknowledged only after its transaction committed, and is
 * processed in arrival order exactly as alone; the disk syncs once per batch instead of once per
 * sample, which is where a single-sample transaction spends its time.
 */
export class IngestQueue {
  private queue: Job[] = [];
  private draining = false;
  /** Samples in the last transaction: more than one says the backend is under load. */
  private lastBatchSize = 0;
  /** Why samples cannot be stored right now (a full disk), for GET /health; null while they can. */
  storageProblem: string | null = null;

  constructor(
    db: Db,
    rules: RuleSet,
    options: WriteOptions = DEFAULT_WRITE_OPTIONS,
    private readonly log: Logger = silentLogger,
    notify: NotifyConfig = noNotifications(),
    /** Told of each new sample and alert transition once its transaction has committed. */
    private readonly events?: EventBus,
    /** Told of every committed group: its size and seconds taken (for /prometheus/self). */
    private readonly onBatchCommitted: (size: number, seconds: number) => void = () => {},
    private readonly writer: SampleWriter = kyselySampleWriter(db, rules, options, notify),
  ) {}

  private announce(job: Job, result: IngestResult): void {
    // With nobody listening (the usual case for a headless backend) this costs nothing.
    if (!this.events?.heard || result.outcome !== 'new') return;
    this.events.publishSample({ type: 'sample', device: job.payload.agent_id, ...headlineOf(job.payload, result.timestamp) }, result.transitions, result.sampleId);
  }

  /** Said once when storing starts failing for want of space, and once when it works again. */
  private noteStorage(problem: string | null): void {
    if (problem === this.storageProblem) return;
    if (problem !== null) this.log.error(`cannot store samples: ${problem}. Free space on the database's filesystem; agents keep their samples and retry.`);
    else this.log.info('storing samples again: the database could grow');
    this.storageProblem = problem;
  }

  submit(payload: MetricsPayload, receivedAt: number, payloadText?: string): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ payload, receivedAt, payloadText, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // The whole transaction runs without yielding to I/O, so start it only after two rounds of
      // I/O: requests that arrived together are then written together, and so are those whose
      // bytes came in while the first round was being parsed. Waiting one round more than that
      // costs a turn of the event loop and gave nothing clear in bench:ingest; one round fewer
      // left batches at 16 connections at 8.8 samples instead of 12.2, each paying a commit.
      // Under load (the last transaction carried several samples) it waits a millisecond first,
      // as PostgreSQL's commit_delay does, for the senders just answered to send again: at 16
      // connections in bench:ingest batches grew from 11.9 to 14.1 samples, so each commit's fixed
      // cost (with --sync full, a sync of the WAL) was shared by more. Once samples come one at a
      // time, none waits.
      const start = () => setImmediate(() => setImmediate(() => void this.drain()));
      if (this.lastBatchSize > 1) setTimeout(start, COMMIT_DELAY_MS);
      else start();
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        this.lastBatchSize = batch.length;
        let results: IngestResult[];
        const started = performance.now();
        try {
          results = await this.writer.writeBatch(batch);
        } catch (err) {
          // The lock or the disk failed the batch, not one of its samples: all of them get that answer.
          if (err instanceof WriteLockTimeout || err instanceof StorageFull) {
            if (err instanceof StorageFull) this.noteStorage(err.message);
            for (const job of batch) job.reject(err);
            continue;
          }
          // Something in the batch failed and rolled it all back: one transaction each, so only the
          // sample at fault gets the error.
          for (const job of batch) {
            await this.writer.writeBatch([job]).then(([result]) => {
              this.announce(job, result!);
              job.resolve(result!);
            }, job.reject);
          }
          continue;
        }
        this.noteStorage(null);
        this.onBatchCommitted(batch.length, (performance.now() - started) / 1000);
        batch.forEach((job, i) => {
          this.announce(job, results[i]!);
          job.resolve(results[i]!);
        });
      }
    } finally {
      this.draining = false;
    }
  }
}
