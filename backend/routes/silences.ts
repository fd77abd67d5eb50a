// POST /silences, GET /silences, DELETE /silences/:id. (Unauthenticated until admin tokens land.)
import type Router from '@koa/router';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { RequestError, invalidRequest } from '../errors.js';
import { addSilence, expireSilence } from '../notify/silencing.js';
import type { SilenceRow } from '../store/schema.js';
import { listSilences } from '../store/silences.js';
import { parseTime } from '../time-text.js';
import { DurationError, parseDurationSeconds } from '../../shared/duration.js';
import { QueryReader } from './params.js';

const time = z.union([z.number(), z.string()]);

const silenceBody = z.strictObject({
  matchers: z
    .strictObject({
      device: z.string().min(1).optional(),
      rule: z.string().min(1).optional(),
      subject: z.string().optional(),
      severity: z.enum(['critical', 'warning']).optional(),
    })
    .refine((m) => Object.values(m).some((v) => v !== undefined), { message: 'give at least one of device, rule, subject, severity' }),
  starts_at: time.optional(),
  ends_at: time.optional(),
  /** Instead of ends_at: how long from starts_at, e.g. 2h. */
  duration: z.union([z.number().positive(), z.string()]).optional(),
  comment: z.string().max(1000).optional(),
  author: z.string().max(200).optional(),
});

const asTime = (v: string | number): number | undefined => (typeof v === 'number' ? (Number.isFinite(v) ? v : undefined) : parseTime(v));

export function silenceJson(s: SilenceRow, now: number) {
  return {
    id: s.id,
    matchers: { device: s.device, rule: s.rule, subject: s.subject, severity: s.severity },
    starts_at: s.starts_at,
    ends_at: s.ends_at,
    state: now < s.starts_at ? 'pending' : now < s.ends_at ? 'active' : 'expired',
    comment: s.comment,
    author: s.author,
    created_at: s.created_at,
  };
}

export function registerSilenceRoutes(router: Router, deps: AppDeps): void {
  router.post('/silences', async (ctx) => {
    const parsed = silenceBody.safeParse(ctx.request.body);
    if (!parsed.success) throw invalidRequest('silence', parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })));
    const b = parsed.data;
    const now = deps.now();
    const problems: { field: string; message: string }[] = [];
    const startsAt = b.starts_at === undefined ? now : asTime(b.starts_at);
    if (startsAt === undefined) problems.push({ field: 'starts_at', message: 'must be Unix seconds or an ISO 8601 time' });
    let endsAt: number | undefined;
    if ((b.ends_at === undefined) === (b.duration === undefined)) problems.push({ field: 'ends_at', message: 'give ends_at or duration (e.g. "2h"), one of them' });
    else if (b.ends_at !== undefined) endsAt = asTime(b.ends_at);
    else if (b.duration !== undefined && startsAt !== undefined) {
      try {
        endsAt = startsAt + parseDurationSeconds(b.duration, 'duration');
      } catch (err) {
        if (!(err instanceof DurationError)) throw err;
        problems.push({ field: 'duration', message: err.message });
      }
    }
    if (endsAt === undefined && problems.length === 0) problems.push({ field: 'ends_at', message: 'must be Unix seconds or an ISO 8601 time' });
    if (startsAt !== undefined && endsAt !== undefined && endsAt <= Math.max(startsAt, now)) problems.push({ field: 'ends_at', message: 'must be after starts_at and in the future' });
    if (problems.length > 0 || startsAt === undefined || endsAt === undefined) throw invalidRequest('silence', problems);
    const m = b.matchers;
    const row = await addSilence(
      deps.db,
      { device: m.device ?? null, rule: m.rule ?? null, subject: m.subject ?? null, severity: m.severity ?? null, startsAt, endsAt, comment: b.comment ?? '', author: b.author ?? '' },
      now,
      deps.write,
    );
    ctx.status = 201;
    ctx.body = silenceJson(row, now);
  });

  router.get('/silences', async (ctx) => {
    const q = new QueryReader(ctx.query);
    const all = q.oneOf('all', ['0', '1', 'true', 'false']);
    q.check('silences query');
    const now = deps.now();
    ctx.body = (await listSilences(deps.db, now, all === '1' || all === 'true')).map((s) => silenceJson(s, now));
  });

  router.delete('/silences/:id', async (ctx) => {
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id) || id <= 0 || !(await expireSilence(deps.db, id, deps.now(), deps.write))) {
      throw new RequestError(404, `no silence '${ctx.params.id}'; GET /silences?all=1 lists them`);
    }
    ctx.body = { ok: true, expired: id };
  });
}
