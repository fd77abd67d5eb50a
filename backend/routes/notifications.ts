// GET /notifications: the outbox, newest first, paged (pending, sent, silenced, or failing with the last error).
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import { listNotifications } from '../store/notifications.js';
import { QueryReader } from './params.js';

const MAX_PAGE = 1000;

export function registerNotificationRoutes(router: Router, deps: AppDeps): void {
  router.get('/notifications', async (ctx) => {
    const q = new QueryReader(ctx.query);
    const status = q.oneOf('status', ['pending', 'sent', 'silenced', 'failing'] as const);
    const receiver = q.string('receiver');
    const beforeId = q.integer('before', 1, Number.MAX_SAFE_INTEGER);
    const limit = q.integer('limit', 1, MAX_PAGE) ?? 100;
    q.check('notifications query');
    const rows = await listNotifications(deps.db, { status, receiver, beforeId, limit: limit + 1 });
    const page = rows.slice(0, limit);
    if (rows.length > limit) {
      const next = String(page[page.length - 1]!.id);
      const params = new URLSearchParams(ctx.querystring);
      params.set('before', next);
      ctx.set('X-Next-Cursor', next);
      ctx.set('Link', `</notifications?${params.toString()}>; rel="next"`);
    }
    ctx.body = page.map((n) => ({
      id: n.id,
      receiver: n.receiver,
      kind: n.kind,
      status: n.status,
      device: n.device_id,
      alert: n.alert,
      rule: n.rule,
      subject: n.subject,
      alert_id: n.alert_id,
      problem_alert_id: n.problem_alert_id,
      created_at: n.created_at,
      attempts: n.attempts,
      next_attempt_at: n.status === 'pending' ? n.next_attempt_at : null,
      last_error: n.last_error,
      sent_at: n.sent_at,
    }));
  });
}
