// Starting and stopping the whole backend: database, migrations, app, HTTP listener.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { DEFAULT_RULES, type AlertRule } from './alerts/rules.js';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { type OpenedDatabase, openDatabase } from './store/db.js';
import { type MigrationReport, migrateToLatest } from './store/migrate.js';

export interface RunningBackend {
  url: string;
  port: number;
  database: OpenedDatabase;
  schema: MigrationReport;
  /** Stop accepting, let requests in flight finish, close the database. */
  close(): Promise<void>;
}

export interface BackendOptions {
  log: Logger;
  now?: () => number;
  rules?: readonly AlertRule[];
  /** How long in-flight requests may take to finish on close before connections are cut. */
  shutdownGraceMs?: number;
}

export const unixNow = (): number => Date.now() / 1000;

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise(server.address() as AddressInfo);
    });
  });
}

export async function startBackend(config: Config, options: BackendOptions): Promise<RunningBackend> {
  const database = openDatabase(config.dbPath);
  let schema: MigrationReport;
  try {
    schema = await migrateToLatest(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  const app = createApp({
    db: database.db,
    rules: options.rules ?? DEFAULT_RULES,
    now: options.now ?? unixNow,
    log: options.log,
    corsOrigin: config.corsOrigin,
    bodyLimit: config.bodyLimit,
  });
  const http = createServer(app.callback());
  let address: AddressInfo;
  try {
    address = await listen(http, config.host, config.port);
  } catch (err) {
    await database.close();
    throw err;
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    database,
    schema,
    close() {
      closing ??= (async () => {
        await new Promise<void>((done) => {
          const cut = setTimeout(() => http.closeAllConnections(), options.shutdownGraceMs ?? 10_000);
          http.close(() => {
            clearTimeout(cut);
            done();
          });
          http.closeIdleConnections();
        });
        await database.close();
      })();
      return closing;
    },
  };
}
