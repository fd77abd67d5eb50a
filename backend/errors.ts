// One place that turns errors into HTTP answers: a client's mistake becomes a 4xx with a JSON body
// that names the problem; anything else is logged with an id and answered 500 with that id.
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { FieldProblem } from '../shared/payload.js';
import type { Logger } from './log.js';
import { StorageFull, WriteLockTimeout } from './store/write-transaction.js';

export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
  }
}

/** Most problems one answer lists; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 50;
/** ...and at most this much of them, as JSON characters: a key may be long, and each \u0000 in it costs 6. */
const LISTED_PROBLEMS_BUDGET = 6500;
/** Longest field or message listed; longer ones are cut. */
const LISTED_TEXT_MAX = 200;

const shorten = (text: string): string => (text.length <= LISTED_TEXT_MAX ? text : `${text.slice(0, LISTED_TEXT_MAX - 1)}…`);

/**
 * A 400 naming what is wrong, in the error text and in `details`. 60,000 bad entries in one body
 * must not make a 10 MB answer: the first problems are listed, the rest counted ("... and 59,950
 * more"), and the answer stays under 16 KB however many problems or however long their names.
 */
export function invalidRequest(what: string, problems: readonly FieldProblem[]): RequestError {
  const listed: FieldProblem[] = [];
  let size = 0;
  for (const problem of problems) {
    if (listed.length === MAX_LISTED_PROBLEMS) break;
    const short = { field: shorten(problem.field), message: shorten(problem.message) };
    size += JSON.stringify(short).length;
    if (size > LISTED_PROBLEMS_BUDGET && listed.length > 0) break;
    listed.push(short);
  }
  const summary = listed.map((p) => `${p.field} ${p.message}`);
  const more = problems.length - listed.length;
  if (more > 0) {
    const count = `... and ${more.toLocaleString('en-US')} more`;
    summary.push(count);
    listed.push({ field: '(body)', message: `${count} problems, not listed` });
  }
  return new RequestError(400, `invalid ${what}: ${summary.join('; ')}`, listed);
}

export interface ErrorBody {
  error: string;
  details?: FieldProblem[];
  error_id?: string;
}

/**
 * What zlib says of a compressed body that is not (inflation, under the body parser, passes its
 * error on as it is, without a status): bad data, a stream cut short, a dictionary nobody has,
 * and brotli's format errors (ERR__ERROR_FORMAT_PADDING_1 and the like).
 */
const corruptCompression = /^(Z_DATA_ERROR|Z_BUF_ERROR|Z_NEED_DICT|ERR__ERROR_FORMAT_\w+|ERR__ERROR_DICTIONARY\w*)$/;

/** Errors thrown by Koa and its body parser for a bad request carry a 4xx `status`; zlib's a `code`. */
function clientErrorOf(err: unknown, contentEncoding: string): { status: number; message: string } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, type, message, code } = err as { status?: unknown; type?: unknown; message?: unknown; code?: unknown };
  if (status === undefined && typeof code === 'string' && corruptCompression.test(code) && contentEncoding !== '') {
    const encoding = contentEncoding.slice(0, 40);
    return {
      status: 400,
      message: `request body is not valid ${encoding} (${String(message)}): send it compressed whole, or without Content-Encoding: ${encoding}`,
    };
  }
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (type === 'entity.parse.failed' || (status === 400 && /json/i.test(String(message)))) {
    return { status, message: `request body is not valid JSON (${String(message)}): send one JSON object` };
  }
  if (type === 'entity.too.large') {
    return { status, message: 'request body is too large: raise the backend\'s --body-limit if such payloads are expected' };
  }
  return { status, message: String(message) };
}

/** Failures of the server, not of the request, that a client should retry; said as they are. */
function serverConditionOf(err: unknown): { status: number; message: string; retryAfterSeconds: number } | undefined {
  if (err instanceof WriteLockTimeout) {
    return { status: 503, retryAfterSeconds: 5, message: `${err.message}: try again shortly (a sqlite3 shell holding a transaction on the live file, or on PostgreSQL a long transaction on the same device, causes this)` };
  }
  if (err instanceof StorageFull) {
    return { status: 507, retryAfterSeconds: 60, message: `cannot store the sample: ${err.message}; the backend's disk is full, try again later` };
  }
  return undefined;
}

export function errorHandler(log: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      const condition = serverConditionOf(err);
      if (condition) {
        ctx.status = condition.status;
        ctx.set('Retry-After', String(condition.retryAfterSeconds));
        ctx.body = { error: condition.message } satisfies ErrorBody;
        return;
      }
      if (err instanceof RequestError) {
        ctx.status = err.status;
        ctx.body = { error: err.message, ...(err.details ? { details: err.details } : {}) } satisfies ErrorBody;
        return;
      }
      const client = clientErrorOf(err, ctx.get('Content-Encoding'));
      if (client) {
        ctx.status = client.status;
        ctx.body = { error: client.message } satisfies ErrorBody;
        return;
      }
      const id = randomUUID();
      log.error(`error ${id} on ${ctx.method} ${ctx.path}:`, err);
      ctx.status = 500;
      ctx.body = { error: `internal error; the backend log has details under id ${id}`, error_id: id } satisfies ErrorBody;
    }
  };
}

/** Unknown paths and methods answer in JSON like everything else. */
export async function notFound(ctx: Context, next: Next): Promise<void> {
  await next();
  if (ctx.body !== undefined && ctx.body !== null) return;
  const status = ctx.status;
  if (status === 404) ctx.body = { error: `no such endpoint: ${ctx.method} ${ctx.path}` } satisfies ErrorBody;
  if (status === 405) ctx.body = { error: `${ctx.method} is not allowed on ${ctx.path}; allowed: ${ctx.response.get('Allow')}` } satisfies ErrorBody;
  // Koa turns a status into 200 when a body is set; keep the one we had.
  ctx.status = status;
}
