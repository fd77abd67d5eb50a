// Command-line options and environment variables -> one typed Config.
import { Option } from 'commander';
import { resolve } from 'node:path';
import { DurationError, parseDurationSeconds } from '../shared/duration.js';

export interface Config {
  dbPath: string;
  host: string;
  port: number;
  corsOrigin: string;
  bodyLimit: string;
  retentionSeconds: number;
  rollupRetentionSeconds: number;
  /** A rules file (JSON or YAML) changing thresholds; none means the original's rules. */
  rulesFile: string | undefined;
  /** A notifications file (JSON or YAML): receivers and routes; none means no notifications. */
  notifyFile: string | undefined;
  /** Longest wait for another writer's lock on the database before answering 503. */
  lockTimeoutMs: number;
  /** A client must send its request headers within this, and its whole request within the next. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export class ConfigError extends Error {}

/** The raw options as commander hands them over (strings, defaults applied). */
export interface RawOptions {
  db: string;
  host: string;
  port: string;
  corsOrigin: string;
  bodyLimit: string;
  retention: string;
  rollupRetention: string;
  rules?: string;
  notify?: string;
  lockTimeout: string;
  headerTimeout: string;
  requestTimeout: string;
}

export const backendOptions = (): Option[] => [
  new Option('--db <file>', 'SQLite database file; created and migrated if needed').env('FLEETMON_DB').default('monitor.sqlite'),
  new Option('--host <address>', 'address to listen on; 0.0.0.0 for every interface').env('FLEETMON_HOST').default('127.0.0.1'),
  new Option('--port <number>', 'TCP port to listen on; 0 picks a free one').env('FLEETMON_PORT').default('8000'),
  new Option('--cors-origin <origin>', "allowed CORS origin for browsers; '*' allows all").env('FLEETMON_CORS_ORIGIN').default('*'),
  new Option('--body-limit <size>', 'largest accepted request body, e.g. 512kb or 1mb').env('FLEETMON_BODY_LIMIT').default('1mb'),
  new Option('--retention <duration>', 'how long raw samples are kept before only their rollups remain').env('FLEETMON_RETENTION').default('30d'),
  new Option('--rollup-retention <duration>', 'how long hourly rollups are kept').env('FLEETMON_ROLLUP_RETENTION').default('365d'),
  new Option('--rules <file>', 'rules file (JSON or YAML) changing thresholds, severities, per-device overrides').env('FLEETMON_RULES'),
  new Option('--notify <file>', 'notifications file (JSON or YAML): receivers (ntfy, email, webhook...) and routes').env('FLEETMON_NOTIFY'),
  new Option('--lock-timeout <duration>', "how long a write waits for another writer's lock on the database before answering 503").env('FLEETMON_LOCK_TIMEOUT').default('5s'),
  new Option('--header-timeout <duration>', 'a client must send its request headers within this').env('FLEETMON_HEADER_TIMEOUT').default('10s'),
  new Option('--request-timeout <duration>', 'a client must send its whole request within this').env('FLEETMON_REQUEST_TIMEOUT').default('60s'),
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

export function buildConfig(raw: RawOptions): Config {
  const retentionSeconds = duration(raw.retention, '--retention');
  const rollupRetentionSeconds = duration(raw.rollupRetention, '--rollup-retention');
  if (rollupRetentionSeconds < retentionSeconds) {
    throw new ConfigError(`--rollup-retention (${raw.rollupRetention}) must not be shorter than --retention (${raw.retention})`);
  }
  return {
    dbPath: resolve(raw.db),
    host: raw.host,
    port: parsePort(raw.port),
    corsOrigin: raw.corsOrigin,
    bodyLimit: checkSize(raw.bodyLimit),
    retentionSeconds,
    rollupRetentionSeconds,
    rulesFile: raw.rules ? resolve(raw.rules) : undefined,
    notifyFile: raw.notify ? resolve(raw.notify) : undefined,
    lockTimeoutMs: duration(raw.lockTimeout, '--lock-timeout') * 1000,
    headersTimeoutMs: duration(raw.headerTimeout, '--header-timeout') * 1000,
    requestTimeoutMs: duration(raw.requestTimeout, '--request-timeout') * 1000,
  };
}
