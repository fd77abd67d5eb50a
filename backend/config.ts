// Command-line options and environment variables -> one typed Config.
import { Option } from 'commander';
import { resolve } from 'node:path';
import { DurationError, parseDurationSeconds } from '../shared/duration.js';
import type { CorsOrigins } from './auth/browsers.js';
import { isPostgresUrl } from './store/dialect.js';

export interface Config {
  /** A SQLite file (absolute path) or a postgres:// URL; log it through describeDatabase() (the URL may hold a password). */
  dbPath: string;
  host: string;
  port: number;
  /** Browser origins allowed cross-origin; none by default (no CORS headers at all). */
  cors: CorsOrigins;
  /** Allow an open API (no valid token) on a non-loopback --host. */
  insecureOpen: boolean;
  /** Serve HTTPS with this certificate and key (PEM files); none: plain HTTP. */
  tls: { certFile: string; keyFile: string } | undefined;
  bodyLimit: string;
  retentionSeconds: number;
  rollupRetentionSeconds: number;
  /** A rules file (JSON or YAML) changing thresholds; none means the original's rules. */
  rulesFile: string | undefined;
  /** A notifications file (JSON or YAML): receivers and routes; none means no notifications. */
  notifyFile: string | undefined;
  /** Longest wait for another writer's lock on the database before answering 503. */
  lockTimeoutMs: number;
  /** SQLite's synchronous: full survives a power cut, normal only a crash of the process (README, Performance). */
  sync: SyncMode;
  /** A client must send its request headers within this, and its whole request within the next. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** How often this backend looks for silent devices (when it holds the silence check's lease). */
  silenceCheckEveryMs: number;
  /** How often this backend runs rollups and retention (when it holds the maintenance lease). */
  maintenanceEveryMs: number;
}

export class ConfigError extends Error {}

export const SYNC_MODES = ['full', 'normal'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

/** The raw options as commander hands them over (strings, defaults applied). */
export interface RawOptions {
  db: string;
  host: string;
  port: string;
  corsOrigin?: string;
  insecureOpen?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  bodyLimit: string;
  retention: string;
  rollupRetention: string;
  rules?: string;
  notify?: string;
  lockTimeout: string;
  sync: string;
  headerTimeout: string;
  requestTimeout: string;
  silenceCheckEvery: string;
  maintenanceEvery: string;
}

export const backendOptions = (): Option[] => [
  new Option('--db <file|url>', 'SQLite database file, or postgres://user:password@host/db for PostgreSQL; created (a file) and migrated if needed').env('FLEETMON_DB').default('monitor.sqlite'),
  new Option('--host <address>', 'address to listen on; 0.0.0.0 for every interface').env('FLEETMON_HOST').default('127.0.0.1'),
  new Option('--port <number>', 'TCP port to listen on; 0 picks a free one').env('FLEETMON_PORT').default('8000'),
  new Option(
    '--cors-origin <origins>',
    "origins (comma-separated, e.g. https://dash.example) whose web pages may use the API; '*' lets any page read, never write (default: none)",
  ).env('FLEETMON_CORS_ORIGIN'),
  // No .env(): commander would take any value of the variable, even 0, as "on"; buildConfig reads it.
  new Option(
    '--insecure-open',
    'allow an open API (no tokens) on a --host other than loopback: anyone who reaches the port can write (env: FLEETMON_INSECURE_OPEN=1)',
  ),
  new Option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; with --tls-key)').env('FLEETMON_TLS_CERT'),
  new Option('--tls-key <file>', 'private key of --tls-cert (PEM)').env('FLEETMON_TLS_KEY'),
  new Option('--body-limit <size>', 'largest accepted request body, e.g. 512kb or 1mb').env('FLEETMON_BODY_LIMIT').default('1mb'),
  new Option('--retention <duration>', 'how long raw samples are kept before only their rollups remain').env('FLEETMON_RETENTION').default('30d'),
  new Option('--rollup-retention <duration>', 'how long hourly rollups are kept').env('FLEETMON_ROLLUP_RETENTION').default('365d'),
  new Option('--rules <file>', 'rules file (JSON or YAML) changing thresholds, severities, per-device overrides').env('FLEETMON_RULES'),
  new Option('--notify <file>', 'notifications file (JSON or YAML): receivers (ntfy, email, webhook...) and routes').env('FLEETMON_NOTIFY'),
  new Option('--lock-timeout <duration>', "how long a write waits for another writer's lock on the database before answering 503").env('FLEETMON_LOCK_TIMEOUT').default('5s'),
  new Option('--sync <mode>', 'full: an acknowledged sample survives a power cut; normal: only a crash of the backend, for more samples per second')
    .env('FLEETMON_SYNC')
    .choices(SYNC_MODES)
    .default('full'),
  new Option('--header-timeout <duration>', 'a client must send its request headers within this').env('FLEETMON_HEADER_TIMEOUT').default('10s'),
  new Option('--request-timeout <duration>', 'a client must send its whole request within this').env('FLEETMON_REQUEST_TIMEOUT').default('60s'),
  // Shorter than the defaults mostly in tests: an offline alert within a second or two of its limit.
  new Option('--silence-check-every <duration>', 'how often silent devices are looked for (by one backend at a time)').env('FLEETMON_SILENCE_CHECK_EVERY').default('10s'),
  new Option('--maintenance-every <duration>', 'how often rollups and retention run (by one backend at a time)').env('FLEETMON_MAINTENANCE_EVERY').default('1m'),
];

export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65535) {
    throw new ConfigError(`--port must be a whole number from 0 to 65535, got '${text}'`);
  }
  return port;
}

function checkSize(text: string): string {
  if (!/^\s*\d+(\.\d+)?\s*(b|kb|mb|gb)?\s*$/i.test(text)) {
    throw new ConfigError(`--body-limit must be a size such as 512kb or 1mb, got '${text}'`);
  }
  return text.trim();
}

function duration(text: string, option: string): number {
  try {
    const seconds = parseDurationSeconds(text, option);
    if (seconds > 0) return seconds;
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
  }
  throw new ConfigError(`${option} must be a positive duration such as 30d, 12h or 90m, got '${text}'`);
}

/** --cors-origin: '*' and/or origins; each origin as a browser sends it (no path, no trailing slash). */
export function parseCorsOrigins(text: string | undefined): CorsOrigins {
  const origins: CorsOrigins = { anyMayRead: false, listed: [] };
  const listed: string[] = [];
  for (const item of (text ?? '').split(/[\s,]+/).filter(Boolean)) {
    if (item === '*') {
      origins.anyMayRead = true;
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    const bare = url && (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && url.pathname === '/' && !url.search && !url.hash && !item.endsWith('/');
    if (!url || !bare) {
      throw new ConfigError(`--cors-origin: '${item}' is not an origin; give scheme, host and port only, such as https://dash.example or http://10.0.0.5:3000, or '*' to let any page read`);
    }
    listed.push(url.origin);
  }
  return { ...origins, listed };
}

/** A yes/no environment variable: 1/true/yes or 0/false/no/empty; anything else is a mistake. */
function envFlag(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (value === undefined || ['', '0', 'false', 'no'].includes(value)) return false;
  if (['1', 'true', 'yes'].includes(value)) return true;
  throw new ConfigError(`${name} must be 1 (or true, yes) or 0 (or false, no), got '${env[name]}'`);
}

function tlsFiles(raw: RawOptions): Config['tls'] {
  if (!raw.tlsCert && !raw.tlsKey) return undefined;
  if (!raw.tlsCert) throw new ConfigError('--tls-key needs --tls-cert (FLEETMON_TLS_CERT): HTTPS takes a certificate and its key, both or neither');
  if (!raw.tlsKey) throw new ConfigError('--tls-cert needs --tls-key (FLEETMON_TLS_KEY): HTTPS takes a certificate and its key, both or neither');
  return { certFile: resolve(raw.tlsCert), keyFile: resolve(raw.tlsKey) };
}

function syncMode(text: string): SyncMode {
  const mode = SYNC_MODES.find((m) => m === text);
  if (!mode) throw new ConfigError(`--sync ${text}: must be one of ${SYNC_MODES.join(', ')}`);
  return mode;
}

export function buildConfig(raw: RawOptions, env: NodeJS.ProcessEnv = process.env): Config {
  const retentionSeconds = duration(raw.retention, '--retention');
  const rollupRetentionSeconds = duration(raw.rollupRetention, '--rollup-retention');
  if (rollupRetentionSeconds < retentionSeconds) {
    throw new ConfigError(`--rollup-retention (${raw.rollupRetention}) must not be shorter than --retention (${raw.retention})`);
  }
  return {
    dbPath: isPostgresUrl(raw.db) ? raw.db.trim() : resolve(raw.db),
    host: raw.host,
    port: parsePort(raw.port),
    cors: parseCorsOrigins(raw.corsOrigin),
    insecureOpen: raw.insecureOpen === true || envFlag(env, 'FLEETMON_INSECURE_OPEN'),
    tls: tlsFiles(raw),
    bodyLimit: checkSize(raw.bodyLimit),
    retentionSeconds,
    rollupRetentionSeconds,
    rulesFile: raw.rules ? resolve(raw.rules) : undefined,
    notifyFile: raw.notify ? resolve(raw.notify) : undefined,
    lockTimeoutMs: duration(raw.lockTimeout, '--lock-timeout') * 1000,
    sync: syncMode(raw.sync),
    headersTimeoutMs: duration(raw.headerTimeout, '--header-timeout') * 1000,
    requestTimeoutMs: duration(raw.requestTimeout, '--request-timeout') * 1000,
    silenceCheckEveryMs: duration(raw.silenceCheckEvery, '--silence-check-every') * 1000,
    maintenanceEveryMs: duration(raw.maintenanceEvery, '--maintenance-every') * 1000,
  };
}

/**
 * The CLI's defaults as a Config on a free port, for backends started in-process (tests,
 * benchmarks); `overrides` change what a caller needs.
 */
export const inProcessConfig = (dbPath: string, overrides: Partial<Config> = {}): Config => ({
  dbPath,
  host: '127.0.0.1',
  port: 0,
  cors: { anyMayRead: false, listed: [] },
  insecureOpen: false,
  tls: undefined,
  bodyLimit: '1mb',
  retentionSeconds: 30 * 86400,
  rollupRetentionSeconds: 365 * 86400,
  rulesFile: undefined,
  notifyFile: undefined,
  lockTimeoutMs: 5000,
  sync: 'full',
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  silenceCheckEveryMs: 10_000,
  maintenanceEveryMs: 60_000,
  ...overrides,
});
