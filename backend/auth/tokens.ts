// Token strings and their secrets. A token reads `fmt_<id>_<secret>`: the id (8 hex digits) is
// public and finds the row; the secret (32 random bytes, base64url) is shown once, at creation,
// and only its SHA-256 is stored.
//
// A fast hash is right here: bcrypt, scrypt and argon2 are slow on purpose to make guessing a
// low-entropy password expensive, but nobody guesses 256 random bits, fast hash or not. A slow
// hash would only cost CPU on every request. The comparison is constant-time all the same.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/db.js';
import type { TokenRow } from '../store/schema.js';
import { findToken, insertToken } from '../store/tokens.js';
import type { Role } from './roles.js';

const TOKEN_PATTERN = /^fmt_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

export interface TokenParts {
  id: string;
  secret: string;
}

/** The id and secret of a token string; undefined for anything that is not one. */
export function parseToken(text: string): TokenParts | undefined {
  const match = TOKEN_PATTERN.exec(text.trim());
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export const formatToken = ({ id, secret }: TokenParts): string => `fmt_${id}_${secret}`;

const sha256 = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

export const hashSecret = (secret: string): string => sha256(secret).toString('hex');

export function secretMatches(secret: string, storedHash: string): boolean {
  const stored = Buffer.from(storedHash, 'hex');
  const presented = sha256(secret);
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}

export interface NewTokenRequest {
  role: Role;
  /** Required for role agent, refused for the others. */
  deviceId?: string | undefined;
  name?: string | undefined;
}

export class TokenRequestError extends Error {}

/** Create a token and return its row and the token string, which exists nowhere else afterwards. */
export async function createToken(db: Db, request: NewTokenRequest, now: number): Promise<{ row: TokenRow; token: string }> {
  if (request.role === 'agent' && !request.deviceId) {
    throw new TokenRequestError('an agent token is bound to one device: give its agent_id with --agent, e.g. --role agent --agent web-1');
  }
  if (request.role !== 'agent' && request.deviceId) {
    throw new TokenRequestError(`--agent is only for --role agent: ${request.role} tokens are not bound to a device`);
  }
  for (;;) {
    const parts = { id: randomBytes(4).toString('hex'), secret: randomBytes(32).toString('base64url') };
    const row: TokenRow = {
      id: parts.id,
      role: request.role,
      device_id: request.role === 'agent' ? request.deviceId! : null,
      name: request.name || null,
      secret_hash: hashSecret(parts.secret),
      created_at: now,
      revoked_at: null,
    };
    // Ids are random; in the unlikely case this one is taken, draw again.
    if (await findToken(db, parts.id)) continue;
    await insertToken(db, row);
    return { row, token: formatToken(parts) };
  }
}

export type TokenCheck = { valid: true; token: TokenRow } | { valid: false; why: string };

/** Whether a presented token string is a valid token, and which. */
export async function checkToken(db: Db, text: string): Promise<TokenCheck> {
  const parts = parseToken(text);
  if (!parts) return { valid: false, why: 'it is not a fleetmon token (they look like fmt_<id>_<secret>)' };
  const row = await findToken(db, parts.id);
  // An unknown id and a wrong secret get the same answer: nothing to learn from guessing.
  if (!row || !secretMatches(parts.secret, row.secret_hash)) return { valid: false, why: `token ${parts.id} is unknown or its secret is wrong; 'fleetmon-backend token list' shows the valid ones` };
  if (row.revoked_at !== null) return { valid: false, why: `token ${row.id} was revoked at ${new Date(row.revoked_at * 1000).toISOString()}` };
  return { valid: true, token: row };
}
