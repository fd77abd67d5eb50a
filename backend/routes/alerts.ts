// GET /alerts: the most recent alerts, oldest of them first, in the original's shape plus our fields.
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import { recentAlerts } from '../store/alerts.js';
import type { AlertRow } from '../store/schema.js';

export const RECENT_ALERTS = 20;

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

export function registerAlertRoutes(router: Router, deps: AppDeps): void {
  router.get('/alerts', async (ctx) => {
    ctx.body = (await recentAlerts(deps.db, RECENT_ALERTS)).map(alertJson);
  });
}
