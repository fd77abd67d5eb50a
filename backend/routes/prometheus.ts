// GET /prometheus (the fleet's latest values) and GET /prometheus/self (fleetmon's own health), in
// Prometheus' text format. /metrics is the original's JSON API, hence the other path.
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import { EXPOSITION_CONTENT_TYPE } from '../prometheus/exposition.js';
import { renderFleet } from '../prometheus/fleet.js';
import { openProblems } from '../store/alerts.js';
import { devicesWithLatest } from '../store/devices.js';

export function registerPrometheusRoutes(router: Router, deps: AppDeps): void {
  router.get('/prometheus', async (ctx) => {
    const [devices, problems] = await Promise.all([devicesWithLatest(deps.db), openProblems(deps.db)]);
    const sampleTimestamps = ctx.query['timestamps'] === 'true';
    ctx.type = EXPOSITION_CONTENT_TYPE;
    ctx.body = renderFleet(devices, problems, (id) => deps.rules.forDevice(id), deps.now(), { sampleTimestamps });
  });

  router.get('/prometheus/self', async (ctx) => {
    const text = await deps.selfMetrics.text();
    ctx.type = deps.selfMetrics.contentType;
    ctx.body = text;
  });
}
