// POST /metrics (ingest), GET /metrics (latest sample per device), GET /metrics/:id (one device's).
import type Router from '@koa/router';
import { checkMetricsPayload } from '../../shared/payload.js';
import type { AppDeps } from '../app.js';
import { checkMayWriteDevice } from '../auth/middleware.js';
import { RequestError } from '../errors.js';
import { sampleView } from '../samples/view.js';
import { latestSampleOf, latestSamples } from '../store/samples.js';

export function registerMetricsRoutes(router: Router, deps: AppDeps): void {
  router.post('/metrics', async (ctx) => {
    // The body parser reads an empty body as {}, which would be a sample from "unknown".
    if (!ctx.request.rawBody) throw new RequestError(400, 'request body is empty: send one sample as a JSON object');
    const checked = checkMetricsPayload(ctx.request.body);
    if (!checked.ok) {
      const summary = checked.problems.map((p) => `${p.field} ${p.message}`).join('; ');
      throw new RequestError(400, `invalid metrics payload: ${summary}`, checked.problems);
    }
    checkMayWriteDevice(ctx, checked.payload.agent_id, deps.log);
    const result = await deps.ingest.submit(checked.payload, deps.now());
    // `ok` is the original answer; server_time lets an agent measure its clock drift.
    ctx.body = { ok: true, timestamp: result.timestamp, outcome: result.outcome, server_time: deps.now() };
  });

  router.get('/metrics', async (ctx) => {
    ctx.body = (await latestSamples(deps.db)).map((s) => sampleView(s.payload, s.timestamp));
  });

  // As the original: an id that never reported answers `{}`, not 404, since its dashboard reads it so.
  router.get('/metrics/:id', async (ctx) => {
    const sample = await latestSampleOf(deps.db, ctx.params.id!);
    ctx.body = sample ? sampleView(sample.payload, sample.timestamp) : {};
  });
}
