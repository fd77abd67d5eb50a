// Starting and stopping the whole backend: database, migrations, app, HTTP listener.
import { type Server, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { type Exposure, checkExposure, insecureOpenWarning, isLoopbackHost } from './auth/exposure.js';
import { EventBus } from './events.js';
import { type EventsRelay, relayEvents } from './events-relay.js';
import { registerPartMetrics } from './prometheus/parts.js';
import { defaultUiDir } from './routes/ui.js';
import { IngestQueue, kyselySampleWriter } from './ingest.js';
import { IngestCache } from './ingest-cache.js';
import { sqliteSampleWriter } from './ingest-sqlite.js';
import { checkSilentDevices } from './offline-check.js';
import { type RuleSet, builtInRules, loadRuleSet } from './alerts/rule-set.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { type Maintenance, createMaintenance } from './maintenance.js';
import { type OpenedDatabase, connectDatabase, otherWritersProbe } from './store/db.js';
import { type MigrationReport, migrateToLatest } from './store/migrate.js';
import { BUSY_TIMEOUT_MS } from './store/write-transaction.js';
import { type NotifyConfig, loadNotifyConfig, noNotifications } from './notify/config.js';
import { type Sender, createSender, leaseOwner } from './notify/sender.js';
import { singleRunner } from './single-runner.js';
import { pendingForUnknownReceivers } from './store/notifications.js';
import { loadTls } from './tls.js';
import { SelfMetrics } from './prometheus/self.js';

export interface RunningBackend {
  url: string;
  port: number;
  database: OpenedDatabase;
  schema: MigrationReport;
  maintenance: Maintenance;
  rules: RuleSet;
  /** What GET /events subscribers hear. */
  events: EventBus;
  notify: NotifyConfig;
  /** The notification sender: tests call its deliverDue() on their clock. */
  sender: Sender;
  /** Look for silent devices now (the timer does this every few seconds); returns those that fell silent. */
  checkSilentDevices(): Promise<string[]>;
  /** Stop accepting, let requests in flight finish, close the database. */
  close(): Promise<void>;
}

export interface BackendOptions {
  log: Logger;
  now?: () => number;
  /** Rules to use instead of --rules (tests). */
  rules?: RuleSet;
  /** Notifications to use instead of --notify (tests). */
  notify?: NotifyConfig;
  /** How often the notification sender works the outbox, in ms; 0 turns the timer off (tests run it by hand). */
  notifyEveryMs?: number;
  /** How long in-flight requests may take to finish on close before connections are cut. */
  shutdownGraceMs?: number;
  /** How often rollups and retention run, in ms, instead of --maintenance-every; 0 turns the timer off (tests run it by hand). */
  maintenanceEveryMs?: number;
  /** How often silent devices are looked for, in ms, instead of --silence-check-every; 0 turns the timer off (tests run it by hand). */
  silenceCheckEveryMs?: number;
  /** Where the built dashboard is (default: dist/ui). */
  uiDir?: string;
  /**
   * How samples are checked and stored: `prepared` (SQLite's default) takes the compiled validator,
   * the body as sent and prepared statements; `kysely` is the path for any dialect, zod and
   * Kysely's queries (tests compare the two).
   */
  ingestPath?: 'prepared' | 'kysely';
  /** Node's process metrics in /prometheus/self (default on; tests starting many backends turn them off). */
  processMetrics?: boolean;
}

/** Run `step` every `everyMs`, never two at once; errors are logged and the timer goes on. */
function repeat(everyMs: number, step: () => Promise<void>, log: Logger, what: string, atOnce = false): () => Promise<void> {
  if (everyMs <= 0) return async () => {};
  let running: Promise<void> = atOnce ? step().catch((err: unknown) => log.error(`${what} failed:`, err)) : Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(step).catch((err: unknown) => log.error(`${what} failed:`, err));
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

export const unixNow = (): number => Date.now() / 1000;

/** Names in the `leases` table of the timed jobs one backend at a time runs. */
export const MAINTENANCE_LEASE = 'maintenance';
export const SILENCE_CHECK_LEASE = 'silence-check';

/** The backend could not listen where it was told to; the message names the option to change. */
export class ListenError extends Error {}

const listenProblems: Record<string, (host: string, port: number) => string> = {
  EADDRINUSE: (host, port) => `port ${port} on ${host} is in use by another process: pick another with --port`,
  EADDRNOTAVAIL: (host) => `--host ${host}: no network interface of this machine has that address; use 127.0.0.1, 0.0.0.0 or one of its own addresses`,
  ENOTFOUND: (host) => `--host ${host}: no such host name; give an address such as 127.0.0.1 or 0.0.0.0`,
  EAI_AGAIN: (host) => `--host ${host}: the name could not be resolved now; give an address such as 127.0.0.1 or 0.0.0.0`,
  EACCES: (_host, port) => `--port ${port}: ports below 1024 need privileges; use a higher port, or give the service CAP_NET_BIND_SERVICE`,
};

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolvePromise, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      const problem = err.code === undefined ? undefined : listenProblems[err.code];
      reject(problem ? new ListenError(problem(host, port)) : err);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolvePromise(server.address() as AddressInfo);
    });
  });
}

export async function startBackend(config: Config, options: BackendOptions): Promise<RunningBackend> {
  // Rules first: a mistake in the rules file should stop the start before anything is opened.
  const rules = options.rules ?? (config.rulesFile ? loadRuleSet(config.rulesFile) : builtInRules());
  const notify = options.notify ?? (config.notifyFile ? loadNotifyConfig(config.notifyFile) : noNotifications());
  const tls = config.tls ? loadTls(config.tls) : undefined;
  const database = await connectDatabase(config.dbPath, { sync: config.sync });
  let schema: MigrationReport;
  let exposure: Exposure;
  try {
    schema = await migrateToLatest(database.db);
    // Protected mode: an open API beyond loopback only with --insecure-open.
    exposure = await checkExposure(database.db, config);
  } catch (err) {
    await database.close();
    throw err;
  }
  // Start-up may wait for a lock synchronously (nothing is served yet); from now on a write waits
  // for another writer's lock asynchronously (store/write-transaction.ts), so the event loop
  // blocks at most this briefly.
  if (database.dialect === 'sqlite') database.sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const write = { lockWaitMs: config.lockTimeoutMs };
  const now = options.now ?? unixNow;
  const maintenance = createMaintenance({
    db: database.db,
    now,
    log: options.log,
    retentionSeconds: config.retentionSeconds,
    rollupRetentionSeconds: config.rollupRetentionSeconds,
  });
  let closing: Promise<void> | undefined;
  const events = new EventBus();
  // Several backends may share a PostgreSQL database: each one's live stream carries what any of them stored.
  let relay: EventsRelay | undefined;
  if (database.dialect === 'postgres') {
    try {
      relay = await relayEvents({ bus: events, db: database.db, url: config.dbPath, log: options.log });
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  const selfMetrics = new SelfMetrics({ db: database.db, dbPath: config.dbPath, now, retentionSeconds: config.retentionSeconds, processMetrics: options.processMetrics });
  registerPartMetrics(selfMetrics, database.db, events);
  // On SQLite samples are stored by prepared statements with device and alert state cached in
  // memory; on PostgreSQL, where several backends may write one device's rows, kyselySampleWriter
  // (backend/ingest.ts) reads them in each transaction instead.
  const ingestCache = new IngestCache(database.dialect === 'sqlite' ? otherWritersProbe(database.sqlite) : undefined);
  const forgetCachedDevice = (deviceId: string) => ingestCache.forgetDevice(deviceId);
  const prepared = database.dialect === 'sqlite' && (options.ingestPath ?? 'prepared') === 'prepared';
  const writer = prepared ? sqliteSampleWriter(database.db, database.sqlite, ingestCache, rules, write, notify) : kyselySampleWriter(database.db, rules, write, notify);
  const app = createApp({
    db: database.db,
    ingest: new IngestQueue(database.db, rules, write, options.log, notify, events, (size, seconds) => selfMetrics.observeBatch(size, seconds), writer),
    forgetCachedDevice,
    fastPayloadCheck: prepared,
    events,
    uiDir: options.uiDir ?? defaultUiDir(),
    selfMetrics,
    write,
    isClosing: () => closing !== undefined,
    rules,
    now,
    log: options.log,
    bodyLimit: config.bodyLimit,
    retentionSeconds: config.retentionSeconds,
    browsers: { origins: config.cors, loopbackOnly: isLoopbackHost(config.host) },
    auth: {
      openWithoutTokens: exposure.openWithoutTokens,
      openWarning: config.insecureOpen && !isLoopbackHost(config.host) ? insecureOpenWarning(config.host) : undefined,
    },
  });
  options.log[exposure.message.level](exposure.message.text);
  const serverOptions = {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // Node looks for overdue requests only this often (30 s by default): a fraction of the timeout.
    connectionsCheckingInterval: Math.max(100, Math.min(5000, config.headersTimeoutMs / 4)),
  };
  const http: Server = tls ? createHttpsServer({ ...tls, ...serverOptions }, app.callback()) : createServer(serverOptions, app.callback());
  let address: AddressInfo;
  try {
    address = await listen(http, config.host, config.port);
  } catch (err) {
    await relay?.close();
    await database.close();
    throw err;
  }
  const checkSilent = () => checkSilentDevices(database.db, rules, now(), notify, events, forgetCachedDevice);
  // A device that died while the backend was down is reported at once.
  await checkSilent();
  // With several backends on one database, the timed jobs run on one of them at a time.
  const owner = leaseOwner();
  const silenceCheckEveryMs = options.silenceCheckEveryMs ?? config.silenceCheckEveryMs;
  const maintenanceEveryMs = options.maintenanceEveryMs ?? config.maintenanceEveryMs;
  const leaseFor = (name: string, everyMs: number) => singleRunner({ db: database.db, name, owner, ttlSeconds: Math.max(30, (3 * everyMs) / 1000), now, write });
  const silenceCheckRunner = leaseFor(SILENCE_CHECK_LEASE, silenceCheckEveryMs);
  const maintenanceRunner = leaseFor(MAINTENANCE_LEASE, maintenanceEveryMs);
  const stopSilenceCheck = repeat(silenceCheckEveryMs, async () => void (await silenceCheckRunner.run(async () => void (await checkSilent()))), options.log, 'silence check');
  let stopping = false;
  const stopMaintenance = repeat(
    maintenanceEveryMs,
    async () =>
      void (await maintenanceRunner.run(async () => {
        // Bounded steps with a pause between them as long as the step took: requests get the
        // database and the event loop in between, and a backlog (a month of rows to pack after an
        // upgrade) takes at most about half of the time.
        while (!stopping) {
          const started = performance.now();
          if ((await maintenance.runOnce()).idle) break;
          await new Promise((r) => setTimeout(r, performance.now() - started));
        }
      })),
    options.log,
    'database maintenance',
  );
  const releaseTimedJobs = async () => {
    if (silenceCheckEveryMs > 0) await silenceCheckRunner.release();
    if (maintenanceEveryMs > 0) await maintenanceRunner.release();
  };
  const sender = createSender({ db: database.db, config: notify, now, log: options.log, write, owner });
  for (const { receiver, n } of await pendingForUnknownReceivers(database.db, [...notify.receivers.keys()])) {
    options.log.warn(`${n} notification(s) wait for receiver '${receiver}', which the notifications file no longer has: add it back to send them (GET /notifications?receiver=${receiver})`);
  }
  const stopSender = repeat(options.notifyEveryMs ?? 5000, async () => void (await sender.deliverDue()), options.log, 'notification sender', true);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${address.port}`,
    port: address.port,
    database,
    schema,
    maintenance,
    rules,
    events,
    notify,
    sender,
    checkSilentDevices: checkSilent,
    close() {
      closing ??= (async () => {
        stopping = true;
        // Stop accepting and close idle keep-alive connections at once; requests in flight finish
        // (answered with Connection: close, see app.ts) within the grace period.
        const httpClosed = new Promise<void>((done) => {
          const cut = setTimeout(() => http.closeAllConnections(), options.shutdownGraceMs ?? 10_000);
          http.close(() => {
            clearTimeout(cut);
            done();
          });
          http.closeIdleConnections();
        });
        // Event streams never finish by themselves: end them, and their connections close.
        events.close();
        await stopSilenceCheck();
        await stopMaintenance();
        await stopSender();
        await sender.release().catch((err: unknown) => options.log.warn('could not give up the notification lease:', err));
        await releaseTimedJobs().catch((err: unknown) => options.log.warn('could not give up the maintenance and silence check leases:', err));
        await httpClosed;
        await relay?.close();
        await database.close();
      })();
      return closing;
    },
  };
}
