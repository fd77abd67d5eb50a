// POST /metrics (ingest), GET /metrics (latest sample per device), GET /metrics/:id (one device's).
import type Router from '@koa/router';
import { checkMetricsPayload } from '../../shared/payload.js';
import type { AppDeps } from '../app.js';
import { checkMayWriteDevice } from '../auth/middleware.js';
import { MAX_BODY_DEPTH, measureBody } from '../body-check.js';
import { RequestError, invalidRequest } from '../errors.js';
import { checkSampleAge } from '../sample-age.js';
import { sampleView } from '../samples/view.js';
import { latestSampleOf, latestSamples } from '../store/samples.js';

export function registerMetricsRoutes(router: Router, deps: AppDeps): void {
  router.post('/metrics', async (ctx) => {
    // The body parser reads an empty body as {}, which would be a sample from "unknown".
    if (!ctx.request.rawBody) throw new RequestError(400, 'request body is empty: send one sample as a JSON object');
    const shape = measureBody(ctx.request.body);
    if (shape.depth > MAX_BODY_DEPTH) {
      throw new RequestError(400, `request body nests ${shape.depth} levels deep; at most ${MAX_BODY_DEPTH} allowed`);
    }
    const checked = checkMetricsPayload(ctx.request.body);
    // A field with a non-finite number is named once, by the walk that found it.
    const named = new Set(shape.nonFinite.map((p) => p.field));
    const problems = [...shape.nonFinite, ...(checked.ok ? [] : checked.problems.filter((p) => !named.has(p.field)))];
    if (checked.ok) problems.push(...checkSampleAge(checked.payload, deps.retentionSeconds));
    if (!checked.ok || problems.length > 0) throw invalidRequest('metrics payload', problems);
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
