// GET /rules: the alert rules in force, for every device or (?device=) for one.
import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import { describeRule } from '../alerts/rule-set.js';
import { QueryReader } from './params.js';

export function registerRuleRoutes(router: Router, deps: AppDeps): void {
  router.get('/rules', (ctx) => {
    const q = new QueryReader(ctx.query);
    const device = q.string('device');
    q.check('rules query');
    ctx.body = {
      source: deps.rules.source ?? 'built-in (the original alert table)',
      ...(device !== undefined ? { device } : {}),
      rules: (device === undefined ? deps.rules.base : deps.rules.forDevice(device)).map(describeRule),
      devices: deps.rules.spec.devices ?? [],
    };
  });
}
