// GET / and GET /health, as the original answers them.
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import { countAlertsEverStored } from '../store/alerts.js';
import { countDevices } from '../store/devices.js';

export function registerStatusRoutes(router: Router, deps: AppDeps): void {
  router.get('/', (ctx) => {
    // A browser is shown the dashboard; API clients (curl sends */*) keep the original answer.
    ctx.vary('Accept');
    if (ctx.get('Accept').includes('text/html')) {
      ctx.redirect('/ui/');
      return;
    }
    ctx.body = { msg: 'Backend is running' };
  });

  router.get('/health', async (ctx) => {
    const problem = deps.ingest.storageProblem;
    ctx.body = {
      // "degraded" (with the reason) while samples cannot be stored; the original only knew "ok".
      status: problem === null ? 'ok' : 'degraded',
      ...(problem === null ? {} : { reason: problem }),
      devices_reporting: await countDevices(deps.db),
      total_alerts: await countAlertsEverStored(deps.db),
      server_time: deps.now(),
    };
  });
}
