// fleetmon's own health in Prometheus' terms, with prom-client: what ingest accepted and refused,
// how long it took, how big the group commits were, how large the database is and how far
// maintenance is behind. Other parts of the backend (the outbox, the SSE dashboard) register
// their gauges on `registry` (or push a function onto `collectors`) and appear here too.
import { statSync } from 'node:fs';
import type { Context, Next } from 'koa';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { readMarks } from '../store/rollups.js';
import type { Db } from '../store/db.js';
import { isPostgresUrl } from '../store/dialect.js';
import { postgresDatabaseSize } from '../store/postgres.js';

export interface SelfMetricsOptions {
  db: Db;
  /** The database file (its -wal companion is measured beside it), or a postgres:// URL. */
  dbPath: string;
  now: () => number;
  retentionSeconds: number;
  /** Node's process metrics (CPU, memory, event loop lag); off in tests that start many backends. */
  processMetrics?: boolean;
}

/** Why POST /metrics refused a sample, by the HTTP status it answered. */
const REJECTION_REASONS: Record<number, string> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  413: 'too_large',
  503: 'database_busy',
  507: 'storage_full',
};
export const rejectionReason = (status: number): string => REJECTION_REASONS[status] ?? (status >= 500 ? 'server_error' : 'other');

/** Called at every scrape of /prometheus/self, before the registry is read: set gauges there. */
export type SelfCollector = () => void | Promise<void>;

const fileSize = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

export class SelfMetrics {
  readonly registry = new Registry();
  /** Hooks run at each scrape (e.g. the outbox's depth); gauges may instead use their own `collect`. */
  readonly collectors: SelfCollector[] = [];

  private readonly accepted = new Counter({
    name: 'fleetmon_samples_accepted_total',
    help: 'Samples POST /metrics accepted, by outcome: new (alerts judged), late (older than the device\'s latest: history only), duplicate (a retry already stored).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly rejected = new Counter({
    name: 'fleetmon_samples_rejected_total',
    help: 'Samples POST /metrics refused, by reason (invalid, unauthenticated, forbidden, too_large, database_busy, storage_full, server_error, other).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  private readonly ingestDuration = new Histogram({
    name: 'fleetmon_ingest_duration_seconds',
    help: 'Time from receiving POST /metrics to answering it, including the wait for the group commit.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'fleetmon_ingest_batch_size',
    help: 'Samples written by one group-commit transaction.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  private readonly commitDuration = new Histogram({
    name: 'fleetmon_ingest_commit_duration_seconds',
    help: 'Time one group-commit transaction took, waiting for the write lock included.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  constructor(options: SelfMetricsOptions) {
    const { db, dbPath, now, retentionSeconds } = options;
    if (isPostgresUrl(dbPath)) {
      new Gauge({
        name: 'fleetmon_database_size_bytes',
        help: 'Size of the PostgreSQL database (pg_database_size).',
        registers: [this.registry],
        async collect() {
          this.set(await postgresDatabaseSize(db));
        },
      });
    } else {
      new Gauge({
        name: 'fleetmon_database_size_bytes',
        help: 'Size of the SQLite database file.',
        registers: [this.registry],
        collect() {
          this.set(fileSize(dbPath));
        },
      });
      new Gauge({
        name: 'fleetmon_database_wal_size_bytes',
        help: 'Size of the SQLite write-ahead log beside the database file.',
        registers: [this.registry],
        collect() {
          this.set(fileSize(`${dbPath}-wal`));
        },
      });
    }
    new Gauge({
      name: 'fleetmon_maintenance_lag_seconds',
      help:
        'How far maintenance is behind, by task. rollup_5m and rollup_1h: time since the end of the last rolled-up bucket (normally below 6 minutes and 2 hours); retention: raw samples past their retention not yet deleted (normally 0). Absent until the task first ran.',
      labelNames: ['task'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const marks = await readMarks(db);
        const t = now();
        if (marks.rollup300Until !== undefined) this.set({ task: 'rollup_5m' }, Math.max(0, t - marks.rollup300Until));
        if (marks.rollup3600Until !== undefined) this.set({ task: 'rollup_1h' }, Math.max(0, t - marks.rollup3600Until));
        if (marks.samplesPurgedUntil !== undefined) this.set({ task: 'retention' }, Math.max(0, t - retentionSeconds - marks.samplesPurgedUntil));
      },
    });
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: 'fleetmon_' });
      // Gauges that prom-client names like counters: `promtool check metrics` objects to them.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        this.registry.removeSingleMetric(`fleetmon_${name}`);
      }
    }
  }

  /** A group commit finished: its size and how long it took. */
  observeBatch(size: number, seconds: number): void {
    this.batchSize.observe(size);
    this.commitDuration.observe(seconds);
  }

  /**
   * Koa middleware counting the answers of POST /metrics. It sits outside the error handler, so it
   * sees the final status of refused requests too (the token check and body parser refuse before
   * the route runs).
   */
  countIngest() {
    return async (ctx: Context, next: Next): Promise<void> => {
      if (ctx.method !== 'POST' || ctx.path !== '/metrics') return next();
      const end = this.ingestDuration.startTimer();
      try {
        await next();
      } finally {
        end();
        const outcome = (ctx.body as { outcome?: unknown } | undefined)?.outcome;
        if (ctx.status < 300 && typeof outcome === 'string') this.accepted.inc({ outcome });
        else if (ctx.status >= 400) this.rejected.inc({ reason: rejectionReason(ctx.status) });
      }
    };
  }

  async text(): Promise<string> {
    for (const collect of this.collectors) await collect();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

