// POST /metrics (ingest), GET /metrics (latest sample per device), GET /metrics/:id (one device's).
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { type MetricsPayload, checkMetricsPayload } from '../../shared/payload.js';
import type { AppDeps } from '../app.js';
import { checkMayWriteDevice } from '../auth/middleware.js';
import { MAX_BODY_DEPTH, measureBody } from '../body-check.js';
import { RequestError, invalidRequest } from '../errors.js';
import { acceptedAsSent } from '../payload-fast-check.js';
import { checkSampleAge } from '../sample-age.js';
import { sampleView } from '../samples/view.js';
import { latestSampleOf, latestSamples } from '../store/samples.js';

/** POST /metrics: the handler, which app.ts also calls directly (past the router) for nearly every request. */
export function postMetrics(deps: AppDeps): Middleware {
  return async function acceptSample(ctx) {
    const rawBody = ctx.request.rawBody;
    // The body parser reads an empty body as {}, which would be a sample from "unknown".
    if (!rawBody) throw new RequestError(400, 'request body is empty: send one sample as a JSON object');
    const { payload, payloadText } = checkedSample(ctx.request.body, rawBody, deps.retentionSeconds, deps.fastPayloadCheck);
    checkMayWriteDevice(ctx, payload.agent_id, deps.log);
    const result = await deps.ingest.submit(payload, deps.now(), payloadText);
    // `ok` is the original answer; server_time lets an agent measure its clock drift.
    ctx.body = { ok: true, timestamp: result.timestamp, outcome: result.outcome, server_time: deps.now() };
  };
}

export function registerMetricsRoutes(router: Router, deps: AppDeps): void {
  router.post('/metrics', postMetrics(deps));

  router.get('/metrics', async (ctx) => {
    ctx.body = (await latestSamples(deps.db)).map((s) => sampleView(s.payload, s.timestamp));
  });

  // As the original: an id that never reported answers `{}`, not 404, since its dashboard reads it so.
  router.get('/metrics/:id', async (ctx) => {
    const sample = await latestSampleOf(deps.db, ctx.params.id!);
    ctx.body = sample ? sampleView(sample.payload, sample.timestamp) : {};
  });
}

/**
 * The sample in a body, or a 400 naming every bad field. A body the compiled validator accepts as
 * sent is stored as received (`payloadText`); any other is judged by zod, which words the answer.
 */
function checkedSample(body: unknown, rawBody: string, retentionSeconds: number, fast: boolean): { payload: MetricsPayload; payloadText?: string } {
  const shape = measureBody(body);
  if (shape.depth > MAX_BODY_DEPTH) {
    throw new RequestError(400, `request body nests ${shape.depth} levels deep; at most ${MAX_BODY_DEPTH} allowed`);
  }
  const asSent = fast && shape.nonFinite.length === 0 ? acceptedAsSent(body, rawBody) : undefined;
  if (asSent && checkSampleAge(asSent, retentionSeconds).length === 0) return { payload: asSent, payloadText: rawBody };
  const checked = checkMetricsPayload(body);
  // A field with a non-finite number is named once, by the walk that found it.
  const named = new Set(shape.nonFinite.map((p) => p.field));
  const problems = [...shape.nonFinite, ...(checked.ok ? [] : checked.problems.filter((p) => !named.has(p.field)))];
  if (checked.ok) problems.push(...checkSampleAge(checked.payload, retentionSeconds));
  if (!checked.ok || problems.length > 0) throw invalidRequest('metrics payload', problems);
  return { payload: checked.payload };
}
