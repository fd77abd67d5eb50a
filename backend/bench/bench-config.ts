// The backend's configuration at its defaults, for benchmarks that start it in-process.
import type { Config } from '../config.js';

export const benchConfig = (dbPath: string): Config => ({
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
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  sync: 'full',
});
