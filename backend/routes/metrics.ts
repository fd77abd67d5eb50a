// POST /metrics (ingest) and GET /metrics (latest sample per device).
import type Router from '@koa/router';
import { checkMetricsPayload } from '../../shared/payload.js';
import type { AppDeps } from '../app.js';
import { RequestError } from '../errors.js';
import { latestSamples } from '../store/samples.js';

export function registerMetricsRoutes(router: Router, deps: AppDeps): void {
  router.post('/metrics', async (ctx) => {
    const checked = checkMetricsPayload(ctx.request.body);
    if (!checked.ok) {
      const summary = checked.problems.map((p) => `${p.field} ${p.message}`).join('; ');
      throw new RequestError(400, `invalid metrics payload: ${summary}`, checked.problems);
    }
    const result = await deps.ingest.submit(checked.payload, deps.now());
    // `ok` is the original answer; server_time lets an agent measure its clock drift.
    ctx.body = { ok: true, timestamp: result.timestamp, outcome: result.outcome, server_time: deps.now() };
  });

  router.get('/metrics', async (ctx) => {
    const samples = await latestSamples(deps.db);
    ctx.body = samples.map((s) => ({ ...s.payload, timestamp: s.timestamp }));
  });
}
