// GET / and GET /health, as the original answers them.
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import { countAlertsEverStored } from '../store/alerts.js';
import { countDevices } from '../store/devices.js';
import { validTokens } from '../store/tokens.js';

/** Added to the original's answer only when there is something to say (the original has no such field). */
async function warnings(deps: AppDeps): Promise<string[]> {
  const open = deps.auth.openWarning !== undefined && !(await validTokens(deps.db)).any;
  return open ? [deps.auth.openWarning!] : [];
}

export function registerStatusRoutes(router: Router, deps: AppDeps): void {
  router.get('/', (ctx) => {
    ctx.body = { msg: 'Backend is running' };
  });

  router.get('/health', async (ctx) => {
    const problem = deps.ingest.storageProblem;
    const problems = await warnings(deps);
    ctx.body = {
      // "degraded" (with the reason) while samples cannot be stored; the original only knew "ok".
      status: problem === null ? 'ok' : 'degraded',
      ...(problem === null ? {} : { reason: problem }),
      devices_reporting: await countDevices(deps.db),
      total_alerts: await countAlertsEverStored(deps.db),
      server_time: deps.now(),
      ...(problems.length > 0 ? { warnings: problems } : {}),
    };
  });
}
