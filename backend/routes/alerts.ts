// GET /alerts (the original's 20 most recent, or a filtered page of history) and GET /alerts/active.
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import { type AlertFilter, filteredAlertsQuery, openProblems } from '../store/alerts.js';
import type { AlertRow } from '../store/schema.js';
import { QueryReader } from './params.js';

export const RECENT_ALERTS = 20;
const MAX_PAGE = 1000;

export function alertJson(row: AlertRow) {
  return {
    device: row.device_id,
    alert: row.alert,
    severity: row.severity,
    timestamp: row.timestamp,
    id: row.id,
    kind: row.kind,
    rule: row.rule,
    subject: row.subject,
    value: row.value,
    threshold: row.threshold,
  };
}

/** A cursor names the oldest alert of a page; the next page holds the alerts before it. */
const encodeCursor = (row: AlertRow) => Buffer.from(`${row.timestamp}:${row.id}`).toString('base64url');

function decodeCursor(text: string): AlertFilter['before'] | undefined {
  const match = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?):(\d+)$/i.exec(Buffer.from(text, 'base64url').toString());
  return match ? { timestamp: Number(match[1]), id: Number(match[2]) } : undefined;
}

export function registerAlertRoutes(router: Router, deps: AppDeps): void {
  router.get('/alerts', async (ctx) => {
    const q = new QueryReader(ctx.query);
    const filter: AlertFilter = {
      device: q.string('device'),
      severity: q.oneOf('severity', ['critical', 'warning']),
      rule: q.string('rule'),
      since: q.time('since'),
      until: q.time('until'),
      limit: q.integer('limit', 1, MAX_PAGE) ?? RECENT_ALERTS,
    };
    const cursor = q.string('cursor');
    if (cursor !== undefined) {
      filter.before = decodeCursor(cursor);
      if (!filter.before) q.problems.push({ field: 'cursor', message: 'is not a cursor this backend gave out (take it from X-Next-Cursor)' });
    }
    q.check('alerts query');

    // One more than asked tells whether there is an older page.
    const rows = await filteredAlertsQuery(deps.db, { ...filter, limit: filter.limit + 1 }).execute();
    const page = rows.slice(0, filter.limit);
    if (rows.length > filter.limit) {
      const next = encodeCursor(page[page.length - 1]!);
      const params = new URLSearchParams(ctx.querystring);
      params.set('cursor', next);
      ctx.set('X-Next-Cursor', next);
      ctx.set('Link', `</alerts?${params.toString()}>; rel="next"`);
    }
    // Oldest first within the page, as the original lists its 20.
    ctx.body = page.reverse().map(alertJson);
  });

  router.get('/alerts/active', async (ctx) => {
    const q = new QueryReader(ctx.query);
    const device = q.string('device');
    q.check('alerts query');
    ctx.body = (await openProblems(deps.db, device)).map((p) => ({
      device: p.device_id,
      alert: p.alert,
      severity: p.severity,
      since: p.since,
      rule: p.rule,
      subject: p.subject,
      value: p.value,
      threshold: p.threshold,
      alert_id: p.alert_id,
    }));
  });
}
