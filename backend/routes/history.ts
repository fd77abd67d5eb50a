// GET /devices/:id/history. STUB: implemented by the history/retention work.
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';

export function registerHistoryRoutes(_router: Router, _deps: AppDeps): void {}
