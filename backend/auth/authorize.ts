// Deciding whether a request may go on: the access it needs, the token it presents (if any), and
// which tokens exist right now. No HTTP here; backend/auth/middleware.ts asks and answers.
import type { Db } from '../store/db.js';
import { validTokens } from '../store/tokens.js';
import { type Access, type Role, rolesFor } from './roles.js';
import { checkToken } from './tokens.js';

/** Who a request acts as: anyone (the API is open for this access), or the holder of a token. */
export type Principal = { kind: 'open' } | { kind: 'token'; id: string; role: Role; deviceId: string | null };

export interface Refusal {
  status: 401 | 403;
  message: string;
}

export interface AuthPolicy {
  /**
   * Whether writes are open while no valid token exists: on loopback, or with --insecure-open. When
   * not (the last token revoked on a backend listening on the network), writes are refused.
   */
  openWithoutTokens: boolean;
}

const OPEN: Principal = { kind: 'open' };

const article = (role: string) => (role === 'agent' || role === 'admin' ? 'an' : 'a');
const rolesText = (access: Access) => rolesFor(access).map((role, i) => (i === 0 ? `${article(role)} ${role}` : role)).join(' or ');

const howToGetOne: Record<Exclude<Access, 'open'>, string> = {
  ingest: 'fleetmon-backend token add --role agent --agent <agent_id>',
  read: 'fleetmon-backend token add --role read',
  admin: 'fleetmon-backend token add --role admin',
};

function whyNeeded(access: Exclude<Access, 'open'>, anyValid: boolean): string {
  if (access === 'read') return 'read tokens exist on this backend, so reading needs one';
  return anyValid ? 'tokens exist on this backend, so writing needs one' : 'no valid token exists, and this backend listens beyond loopback without --insecure-open';
}

/**
 * `presented` is the token string from the request, if it sent one. While the access is open (no
 * token of the kind that closes it exists), whatever the request presents is ignored: a header
 * added by a reverse proxy that authenticates does not break an open backend.
 */
export async function authorize(db: Db, access: Access, presented: string | undefined, policy: AuthPolicy): Promise<Principal | Refusal> {
  if (access === 'open') return OPEN;
  const check = presented === undefined ? undefined : await checkToken(db, presented);
  if (check?.valid && rolesFor(access).includes(check.token.role)) {
    return { kind: 'token', id: check.token.id, role: check.token.role, deviceId: check.token.device_id };
  }
  const valid = await validTokens(db);
  const closed = access === 'read' ? valid.read : valid.any || !policy.openWithoutTokens;
  if (!closed) return OPEN;
  const needs = `this needs ${rolesText(access)} token`;
  if (!check) {
    return {
      status: 401,
      message: `${needs} (${whyNeeded(access, valid.any)}): send it as 'Authorization: Bearer <token>', or as the password of HTTP Basic authentication. An administrator creates one with: ${howToGetOne[access]}`,
    };
  }
  if (!check.valid) return { status: 401, message: `the token was refused: ${check.why}` };
  return { status: 403, message: `token ${check.token.id} has role ${check.token.role}; ${needs}` };
}

/** An agent token writes only its own device; admin tokens and an open API write any. */
export function refusalToWrite(principal: Principal, deviceId: string): Refusal | undefined {
  if (principal.kind !== 'token' || principal.role !== 'agent' || principal.deviceId === deviceId) return undefined;
  return {
    status: 403,
    message: `token ${principal.id} is for agent '${principal.deviceId}' and may not send samples for '${deviceId}': give this machine its own token (fleetmon-backend token add --role agent --agent ${deviceId}), or fix its --agent-id`,
  };
}
