// Authentication over HTTP: the token from `Authorization: Bearer`, or from HTTP Basic (the
// original Python agent sends the credentials of a URL such as http://web-1:TOKEN@host:8000 that
// way), checked before the body is read.
import type { Context, Next } from 'koa';
import { RequestError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { type AuthPolicy, type Principal, type Refusal, authorize, refusalToWrite } from './authorize.js';
import { accessNeeded } from './roles.js';

/** Both schemes are offered: Bearer for our agent and scripts, Basic for URL credentials and browsers. */
export const WWW_AUTHENTICATE = 'Bearer realm="fleetmon", Basic realm="fleetmon"';

/**
 * The token a request presents: the Bearer token, or the Basic password (the user name is free;
 * by convention the agent id). With an empty password, the user name (`curl -u TOKEN:`).
 * Any other Authorization header presents an empty string: something, but not a token.
 */
export function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return '';
    const password = decoded.slice(colon + 1);
    return password || decoded.slice(0, colon);
  }
  return '';
}

function refuse(ctx: Context, refusal: Refusal, log: Logger, presented: boolean): never {
  if (refusal.status === 401) ctx.set('WWW-Authenticate', WWW_AUTHENTICATE);
  // A request without credentials is the usual first step of HTTP authentication; one with wrong
  // credentials is a misconfigured agent or someone trying: worth a line in the log.
  if (presented) log.warn(`refused ${ctx.method} ${ctx.path} from ${ctx.ip} (HTTP ${refusal.status}): ${refusal.message}`);
  throw new RequestError(refusal.status, `${ctx.method} ${ctx.path}: ${refusal.message}`);
}

export function requireToken(deps: { db: Db; log: Logger; policy: AuthPolicy }) {
  return async function checkAccess(ctx: Context, next: Next): Promise<void> {
    const presented = presentedToken(ctx.get('Authorization'));
    const decision = await authorize(deps.db, accessNeeded(ctx.method, ctx.path), presented, deps.policy);
    if ('status' in decision) refuse(ctx, decision, deps.log, presented !== undefined);
    ctx.state.principal = decision;
    await next();
  };
}

/** For POST /metrics once the payload names its device: an agent token writes only its own. */
export function checkMayWriteDevice(ctx: Context, deviceId: string, log: Logger): void {
  const principal = ctx.state.principal as Principal | undefined;
  // Fail closed if the middleware order ever changes.
  if (!principal) throw new Error('no principal on the request: requireToken must run before the routes');
  const refusal = refusalToWrite(principal, deviceId);
  if (refusal) refuse(ctx, refusal, log, true);
}
