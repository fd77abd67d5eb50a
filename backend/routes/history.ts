// GET /devices/:id/history: a device's headline series over time, downsampled to at most 500
// points per series (see backend/history/query.ts). GET /history/:id: the original's small chart.
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import { parseHistoryRequest, readHistory } from '../history/query.js';
import { recentCpuMemory } from '../history/recent.js';
import { findDevice } from '../store/devices.js';
import { recentCpuMemoryOf } from '../store/sample-history.js';
import { noSuchDevice } from './devices.js';
import { QueryReader } from './params.js';

/** The original's default for `samples`; the cap keeps one request cheap. */
const RECENT_SAMPLES_DEFAULT = 24;
const RECENT_SAMPLES_MAX = 1440;

export function registerHistoryRoutes(router: Router, deps: AppDeps): void {
  router.get('/devices/:id/history', async (ctx) => {
    const request = parseHistoryRequest(ctx.query, deps.now());
    const id = ctx.params.id ?? '';
    if (!(await findDevice(deps.db, id))) throw noSuchDevice(id);
    ctx.body = await readHistory(deps.db, id, request);
  });

  // An unknown id answers zeros, as the original does.
  router.get('/history/:id', async (ctx) => {
    const q = new QueryReader(ctx.query);
    const samples = q.integer('samples', 1, RECENT_SAMPLES_MAX) ?? RECENT_SAMPLES_DEFAULT;
    q.check('history query');
    const rows = await recentCpuMemoryOf(deps.db, ctx.params.id!, samples);
    ctx.body = recentCpuMemory(rows, samples);
  });
}
