// Who may do what: the access each request needs, and the roles that grant it. Data, not an if-chain.

export const ROLES = ['agent', 'admin', 'read'] as const;
/** agent: send its own device's samples; admin: everything; read: the GET endpoints. */
export type Role = (typeof ROLES)[number];

/**
 * What a request needs: `open` (never a token: liveness for load balancers, CORS preflights),
 * `read` (the GET endpoints), `ingest` (POST /metrics), `admin` (every other state change).
 */
export type Access = 'open' | 'read' | 'ingest' | 'admin';

export const GRANTS: Record<Role, readonly Access[]> = {
  agent: ['ingest'],
  read: ['read'],
  admin: ['read', 'ingest', 'admin'],
};

export const roleAllows = (role: Role, access: Access): boolean => access === 'open' || GRANTS[role].includes(access);

/** Roles that grant `access`, for messages ("needs an agent or admin token"). */
export const rolesFor = (access: Access): Role[] => ROLES.filter((role) => roleAllows(role, access));

/** Paths that answer everyone, whatever tokens exist: the original's liveness endpoints. */
const OPEN_PATHS = new Set(['/', '/health']);

/**
 * The access a request needs, from its method and path alone, before any routing. A write that is
 * not POST /metrics needs admin, so an endpoint added later (silences, tokens) is protected by
 * default; an odd spelling of a path (`/Health`, `/metrics/`) only ever needs more, never less.
 */
export function accessNeeded(method: string, path: string): Access {
  if (method === 'OPTIONS') return 'open';
  if (method === 'GET' || method === 'HEAD') return OPEN_PATHS.has(path) ? 'open' : 'read';
  if (method === 'POST' && path === '/metrics') return 'ingest';
  return 'admin';
}
