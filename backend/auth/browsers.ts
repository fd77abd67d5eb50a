// Browsers: a web page the operator opens must not change anything here, whatever it sends.
// - CORS headers only for the origins --cors-origin lists; '*' lets any page read, never write:
//   a write's preflight from an unlisted origin gets no Access-Control-Allow-* headers.
// - Independently of CORS (a text/plain POST or an HTML form needs no preflight), a state-changing
//   request from a page of another origin is refused before it is read. Agents, curl and scripts
//   send no Origin header and are not affected.
import cors from '@koa/cors';
import type { Context, Next } from 'koa';
import { RequestError } from '../errors.js';
import type { Logger } from '../log.js';
import { isLoopbackHost } from './exposure.js';

export interface CorsOrigins {
  /** `*` was given: any page may read (GET, HEAD), without credentials. */
  anyMayRead: boolean;
  /** Origins (scheme://host[:port]) allowed to read and write from their pages. */
  listed: readonly string[];
}

const READ_METHODS = new Set(['GET', 'HEAD']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const EXPOSED = ['X-Next-Cursor', 'Link'];

/** The method a request performs: its own, or for a preflight the one it asks about. */
const intendedMethod = (ctx: Context) => (ctx.method === 'OPTIONS' ? ctx.get('Access-Control-Request-Method').toUpperCase() : ctx.method);

export function corsHeaders(origins: CorsOrigins) {
  const listed = new Set(origins.listed);
  const forListed = cors({ origin: (ctx) => ctx.get('Origin'), allowMethods: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'], exposeHeaders: EXPOSED });
  const forAnyReader = cors({ origin: '*', allowMethods: ['GET', 'HEAD'], exposeHeaders: EXPOSED });
  return async function corsForListedOrigins(ctx: Context, next: Next): Promise<void> {
    ctx.vary('Origin');
    const origin = ctx.get('Origin');
    if (origin && listed.has(origin)) return forListed(ctx, next);
    if (origin && origins.anyMayRead && READ_METHODS.has(intendedMethod(ctx))) return forAnyReader(ctx, next);
    return next();
  };
}

export interface BrowserPolicy {
  origins: CorsOrigins;
  /**
   * The backend listens on loopback only: its own origin then counts only under a loopback name, so
   * a page whose name was made to resolve to 127.0.0.1 (DNS rebinding) is still a foreign origin.
   */
  loopbackOnly: boolean;
}

/** This backend's own origin as the browser sees it, if the request came through a name we accept. */
function ownOrigin(ctx: Context, policy: BrowserPolicy): string | undefined {
  if (!ctx.host) return undefined;
  if (policy.loopbackOnly && !isLoopbackHost(ctx.hostname)) return undefined;
  return `${ctx.protocol}://${ctx.host}`.toLowerCase();
}

export function refuseForeignWrites(policy: BrowserPolicy, log: Logger) {
  const listed = new Set(policy.origins.listed);
  return async function sameOriginWritesOnly(ctx: Context, next: Next): Promise<void> {
    if (SAFE_METHODS.has(ctx.method)) return next();
    const origin = ctx.get('Origin');
    const site = ctx.get('Sec-Fetch-Site');
    let from: string | undefined;
    if (origin) {
      if (!listed.has(origin) && origin.toLowerCase() !== ownOrigin(ctx, policy)) from = `the web page at ${origin} (Origin header)`;
    } else if (site === 'cross-site' || site === 'same-site') {
      from = `a web page of another site (Sec-Fetch-Site: ${site})`;
    }
    if (from !== undefined) {
      log.warn(`refused ${ctx.method} ${ctx.path} from ${ctx.ip}: sent by ${from}`);
      throw new RequestError(
        403,
        `${ctx.method} ${ctx.path} refused: it was sent by ${from}. Browsers may change state here only from origins listed in the backend's --cors-origin.`,
      );
    }
    return next();
  };
}
