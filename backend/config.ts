// Command-line options and environment variables -> one typed Config.
import { Option } from 'commander';
import { resolve } from 'node:path';

export interface Config {
  dbPath: string;
  host: string;
  port: number;
  corsOrigin: string;
  bodyLimit: string;
}

export class ConfigError extends Error {}

/** The raw options as commander hands them over (strings, defaults applied). */
export interface RawOptions {
  db: string;
  host: string;
  port: string;
  corsOrigin: string;
  bodyLimit: string;
}

export const backendOptions = (): Option[] => [
  new Option('--db <file>', 'SQLite database file; created and migrated if needed').env('FLEETMON_DB').default('monitor.sqlite'),
  new Option('--host <address>', 'address to listen on; 0.0.0.0 for every interface').env('FLEETMON_HOST').default('127.0.0.1'),
  new Option('--port <number>', 'TCP port to listen on; 0 picks a free one').env('FLEETMON_PORT').default('8000'),
  new Option('--cors-origin <origin>', "allowed CORS origin for browsers; '*' allows all").env('FLEETMON_CORS_ORIGIN').default('*'),
  new Option('--body-limit <size>', 'largest accepted request body, e.g. 512kb or 1mb').env('FLEETMON_BODY_LIMIT').default('1mb'),
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

export function buildConfig(raw: RawOptions): Config {
  return {
    dbPath: resolve(raw.db),
    host: raw.host,
    port: parsePort(raw.port),
    corsOrigin: raw.corsOrigin,
    bodyLimit: checkSize(raw.bodyLimit),
  };
}
