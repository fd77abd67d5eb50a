// GET /devices/:id/history: a device's headline series over time, downsampled to at most 500
// points per series (see backend/history/query.ts).
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import { parseHistoryRequest, readHistory } from '../history/query.js';
import { findDevice } from '../store/devices.js';
import { noSuchDevice } from './devices.js';

export function registerHistoryRoutes(router: Router, deps: AppDeps): void {
  router.get('/devices/:id/history', async (ctx) => {
    const request = parseHistoryRequest(ctx.query, deps.now());
    const id = ctx.params.id ?? '';
    if (!(await findDevice(deps.db, id))) throw noSuchDevice(id);
    ctx.body = await readHistory(deps.db, id, request);
  });
}
