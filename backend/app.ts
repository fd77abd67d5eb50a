// The Koa application: middleware and routes around the dependencies it is given. No listen() here.
import Router from '@koa/router';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import type { RuleSet } from './alerts/rule-set.js';
import type { AuthPolicy } from './auth/authorize.js';
import { type BrowserPolicy, corsHeaders, refuseForeignWrites } from './auth/browsers.js';
import { requireToken } from './auth/middleware.js';
import { errorHandler, notFound } from './errors.js';
import type { EventBus } from './events.js';
import type { IngestQueue } from './ingest.js';
import type { Logger } from './log.js';
import type { SelfMetrics } from './prometheus/self.js';
import { registerAlertRoutes } from './routes/alerts.js';
import { registerDeviceRoutes } from './routes/devices.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHistoryRoutes } from './routes/history.js';
import { postMetrics, registerMetricsRoutes } from './routes/metrics.js';
import { registerNotificationRoutes } from './routes/notifications.js';
import { registerSilenceRoutes } from './routes/silences.js';
import { registerPrometheusRoutes } from './routes/prometheus.js';
import { registerRuleRoutes } from './routes/rules.js';
import { registerStatusRoutes } from './routes/status.js';
import { registerUiRoutes } from './routes/ui.js';
import type { Db } from './store/db.js';
import type { WriteOptions } from './store/write-transaction.js';

export interface AppDeps {
  db: Db;
  /** Where POST /metrics hands accepted samples (group commit). */
  ingest: IngestQueue;
  rules: RuleSet;
  /** Unix seconds; a parameter so tests can drive time. */
  now: () => number;
  log: Logger;
  bodyLimit: string;
  /** Raw samples are kept this long; POST /metrics refuses a sample older than that. */
  retentionSeconds: number;
  /** Check bodies with the compiled validator first and store those it accepts as sent (backend/payload-fast-check.ts). */
  fastPayloadCheck: boolean;
  /** Says that a device's rows were written outside ingest, so ingest reads them again (backend/ingest-cache.ts). */
  forgetCachedDevice: (deviceId: string) => void;
  /** How writes outside ingest (DELETE /devices/:id) wait for the database's write lock. */
  write: WriteOptions;
  /** True once the backend is shutting down: answers then close their connection. */
  isClosing: () => boolean;
  /** CORS and which web pages may write (backend/auth/browsers.ts). */
  browsers: BrowserPolicy;
  /** Tokens (backend/auth/authorize.ts). */
  auth: AuthPolicy & {
    /** Said in GET /health while no valid token exists: the API is open beyond loopback. */
    openWarning: string | undefined;
  };
  /** What GET /events streams; ingest and the silence check publish to it. */
  events: EventBus;
  /** The built dashboard (dist/ui), served under /ui/. */
  uiDir: string;
  /** fleetmon's own metrics (GET /prometheus/self); other parts register theirs on its registry. */
  selfMetrics: SelfMetrics;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  const router = new Router();
  registerStatusRoutes(router, deps);
  registerMetricsRoutes(router, deps);
  registerAlertRoutes(router, deps);
  registerDeviceRoutes(router, deps);
  registerHistoryRoutes(router, deps);
  registerRuleRoutes(router, deps);
  registerEventRoutes(router, deps);
  registerUiRoutes(router, deps.uiDir);
  registerSilenceRoutes(router, deps);
  registerNotificationRoutes(router, deps);
  registerPrometheusRoutes(router, deps);

  const closeOnShutdown: Koa.Middleware = async (ctx, next) => {
    try {
      await next();
    } finally {
      // Shutting down: a keep-alive client gets this answer, then its connection closes.
      if (deps.isClosing()) ctx.set('Connection', 'close');
    }
  };
  const handleErrors = errorHandler(deps.log);
  const cors = corsHeaders(deps.browsers.origins);
  // Both before the body is read: a refused request costs no parsing.
  const sameOriginWrites = refuseForeignWrites(deps.browsers, deps.log);
  const checkToken = requireToken({ db: deps.db, log: deps.log, policy: deps.auth });
  const readJsonBody = bodyParser({
    enableTypes: ['json'],
    jsonLimit: deps.bodyLimit,
    strict: true,
    // Agents of the original sent JSON with or without a Content-Type; read every body as JSON.
    detectJSON: () => true,
  });
  // POST /metrics, nearly every request a backend gets, takes the same steps in the same order,
  // minus those it has no use for: the 404/405 wording (it always answers) and the router's search
  // through every route. Other spellings (/metrics/) still reach it through the router.
  const ingest = chain([
    closeOnShutdown,
    // Outside the error handler, to count refused samples by the status they got.
    deps.selfMetrics.countIngest(),
    handleErrors,
    cors,
    sameOriginWrites,
    checkToken,
    readJsonBody,
    postMetrics(deps),
  ]);
  app.use((ctx, next) => (ctx.method === 'POST' && ctx.path === '/metrics' ? ingest(ctx) : next()));
  app.use(closeOnShutdown);
  app.use(handleErrors);
  app.use(notFound);
  app.use(cors);
  app.use(sameOriginWrites);
  app.use(checkToken);
  app.use(readJsonBody);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/** Run middleware in order, each calling the next as Koa does (koa-compose, which Koa does not export). */
function chain(middleware: readonly Koa.Middleware[]): (ctx: Koa.Context) => Promise<void> {
  const step = (ctx: Koa.Context, i: number): Promise<void> =>
    i === middleware.length ? Promise.resolve() : Promise.resolve(middleware[i]!(ctx, () => step(ctx, i + 1)));
  return (ctx) => step(ctx, 0);
}
