// Protected mode, as Redis has it: with no token configured the API is open, as the original's
// was, but only to this machine. Listening on another address without tokens needs an explicit
// --insecure-open, and says so at start and in GET /health.
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from '../config.js';
import type { Db } from '../store/db.js';
import { describeDatabase } from '../store/dialect.js';
import { validTokens } from '../store/tokens.js';

/** A host name or address that only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIPv4(name)) return name.startsWith('127.');
  if (isIPv6(name)) return name === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(name) || /^::ffff:127\./.test(name);
  return false;
}

export class ProtectedModeError extends ConfigError {}

export const insecureOpenWarning = (host: string) => `open API on ${host} without tokens (--insecure-open)`;

export interface Exposure {
  /** Writes stay open while no token exists (loopback, or --insecure-open). */
  openWithoutTokens: boolean;
  /** What to say at start; `warn` for an API open beyond this machine. */
  message: { level: 'info' | 'warn'; text: string };
}

/** Checked at start: refuses an open API beyond loopback unless --insecure-open. */
export async function checkExposure(db: Db, settings: { host: string; insecureOpen: boolean; dbPath: string }): Promise<Exposure> {
  const loopback = isLoopbackHost(settings.host);
  const openWithoutTokens = loopback || settings.insecureOpen;
  const valid = await validTokens(db);
  if (valid.any) {
    const reads = valid.read ? 'reads need a read or admin token too' : 'reads are open until a read token exists';
    return { openWithoutTokens, message: { level: 'info', text: `API tokens in use: writes need a token, ${reads}` } };
  }
  if (loopback) {
    return {
      openWithoutTokens,
      message: { level: 'info', text: `no API tokens: the API is open, to this machine only (--host ${settings.host}); 'fleetmon-backend token add' creates tokens` },
    };
  }
  if (!settings.insecureOpen) {
    throw new ProtectedModeError(
      `refusing to listen on ${settings.host} with an open API: no token exists in ${describeDatabase(settings.dbPath)}, so anyone who reaches the port ` +
        'could send samples for any device and delete devices. Either create tokens first (fleetmon-backend token add --role admin, and one ' +
        'per machine: fleetmon-backend token add --role agent --agent <agent_id>; see README, Security), or accept an open API on a trusted ' +
        'network with --insecure-open (FLEETMON_INSECURE_OPEN=1). Or listen on 127.0.0.1 behind a reverse proxy.',
    );
  }
  return {
    openWithoutTokens,
    message: {
      level: 'warn',
      text: `${insecureOpenWarning(settings.host)}: anyone who reaches this address can send samples for any device and delete devices. Create tokens with 'fleetmon-backend token add' to close it.`,
    },
  };
}
