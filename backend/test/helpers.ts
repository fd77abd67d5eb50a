// Starting real backends for tests: in this process (fast, clock under the test's control) or as
// the real CLI process (for signals and restarts). Both listen on an ephemeral port over real HTTP
// and write a real SQLite file in a fresh temporary directory; in the PostgreSQL project
// (FLEETMON_TEST_DB=postgres, see vitest.config.ts) each such file stands for a database of its own
// on the run's throwaway cluster, so the same test files run on both.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, inject } from 'vitest';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { type Config, inProcessConfig } from '../config.js';
import { silentLogger } from '../log.js';
import { type BackendOptions, type RunningBackend, startBackend } from '../server.js';
import { describeDatabase, isPostgresUrl } from '../store/dialect.js';
import { POSTGRES_PACKAGE_HINT, findPostgresBin } from './postgres.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const backendCli = join(repoRoot, 'dist/backend/cli.js');

export function tempDir(prefix = 'fleetmon-test-'): { path: string; remove: () => Promise<void> } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Whether this run's backends use PostgreSQL (the vitest project `postgres`). */
export const onPostgres = process.env.FLEETMON_TEST_DB === 'postgres';

function clusterUrl(): string {
  const url = inject('postgresUrl');
  if (!url) throw new Error(POSTGRES_PACKAGE_HINT);
  return url;
}

/**
 * Where a test's database really is: the SQLite file itself, or in the PostgreSQL run a database
 * named after the file (the same file gives the same database: a restart finds its data).
 */
export function testDatabaseLocation(path: string): string {
  if (!onPostgres || isPostgresUrl(path)) return path;
  const url = new URL(clusterUrl());
  url.pathname = `/fleetmon_${createHash('sha256').update(path).digest('hex').slice(0, 24)}`;
  return url.toString();
}

/** testDatabaseLocation, with the PostgreSQL database created if it does not exist yet. */
export async function testDatabase(path: string): Promise<string> {
  const location = testDatabaseLocation(path);
  if (location === path) return path;
  const client = new pg.Client(clusterUrl());
  await client.connect();
  try {
    await client.query(`create database "${new URL(location).pathname.slice(1)}"`);
  } catch (err) {
    // 42P04: it exists (a second start on the same file).
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await client.end();
  }
  return location;
}

/** How the backend names a test's database in its log (a URL without its password). */
export const shownDatabase = (path: string): string => describeDatabase(testDatabaseLocation(path));

export const testConfig = inProcessConfig;

export async function startTestBackend(
  dbPath: string,
  options: Partial<BackendOptions> = {},
  config: Partial<Config> = {},
): Promise<RunningBackend> {
  return startBackend(testConfig(await testDatabase(dbPath), config), { log: silentLogger, processMetrics: false, ...options });
}

/** What a test gets from backendForEachTest: all fresh for each test. */
export interface TestBackend {
  dir: ReturnType<typeof tempDir>;
  dbPath: string;
  backend: RunningBackend;
  /** The backend's clock, Unix seconds: tests move it (`t.clock += 10`) instead of sleeping. */
  clock: number;
  now: () => number;
}

export const TEST_START_TIME = 1_700_000_000;

/** A real backend on a new SQLite file for each test of the file, on a clock the test drives. */
export function backendForEachTest(options: Partial<BackendOptions> = {}): TestBackend {
  const t = { clock: TEST_START_TIME, now: () => t.clock } as TestBackend;
  beforeEach(async () => {
    t.dir = tempDir();
    t.dbPath = join(t.dir.path, 'monitor.sqlite');
    t.clock = TEST_START_TIME;
    t.backend = await startTestBackend(t.dbPath, { now: t.now, ...options });
  });
  afterEach(async () => {
    await t.backend.close();
    await t.dir.remove();
  });
  return t;
}

export interface HttpAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export async function request<T = unknown>(url: string, init: RequestInit = {}): Promise<HttpAnswer<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

export function postJson<T = unknown>(url: string, body: unknown): Promise<HttpAnswer<T>> {
  return request<T>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** A value as an SQL literal, for psql (which takes no bound parameters). */
function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return `'${String(value).replaceAll("'", "''")}'`;
}

/** The PostgreSQL side of queryDb: psql, synchronously, rows as JSON (numbers stay numbers). */
function queryPostgres<T>(url: string, sql: string, params: unknown[]): T[] {
  let i = 0;
  const bound = sql.replace(/\?/g, () => sqlLiteral(params[i++]));
  const psql = `${findPostgresBin() ?? '/usr/bin'}/psql`;
  const out = execFileSync(psql, [url, '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `select coalesce(json_agg(q), '[]'::json) from (${bound}) q`], { encoding: 'utf8' });
  return JSON.parse(out) as T[];
}

/** Read-only look at the database file, as a sysadmin with sqlite3 (or psql) would. */
export function queryDb<T>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const location = testDatabaseLocation(dbPath);
  if (isPostgresUrl(location)) return queryPostgres<T>(location, sql, params);
  const db = new SQLite(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export interface BackendProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves once the process has written something matching `pattern` (to stdout or stderr). */
  waitForOutput(pattern: RegExp): Promise<void>;
  /** Send a signal and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A CLI's --db and FLEETMON_DB pointed at the test's real database (see testDatabase). */
async function onTestDatabase(args: string[], env: NodeJS.ProcessEnv): Promise<{ args: string[]; env: NodeJS.ProcessEnv }> {
  if (!onPostgres) return { args, env };
  const out = [...args];
  for (let i = 0; i < out.length; i++) {
    if (out[i] === '--db' && out[i + 1] !== undefined) out[i + 1] = await testDatabase(out[i + 1]!);
    else if (out[i]!.startsWith('--db=')) out[i] = `--db=${await testDatabase(out[i]!.slice('--db='.length))}`;
  }
  return { args: out, env: env.FLEETMON_DB === undefined ? env : { ...env, FLEETMON_DB: await testDatabase(env.FLEETMON_DB) } };
}

/** The real `fleetmon-backend` CLI (built into dist/ by `npm test`'s pretest step). */
export async function spawnBackend(givenArgs: string[], givenEnv: NodeJS.ProcessEnv = {}): Promise<BackendProcess> {
  const { args, env } = await onTestDatabase(givenArgs, givenEnv);
  const child = spawn(process.execPath, [backendCli, '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend did not start within 10 s:\n${output}`)), 10_000);
    const look = () => {
      const match = /listening on (https?:\/\/\S+?),/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stderr?.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`backend exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    waitForOutput: (pattern) =>
      new Promise((resolveWait) => {
        const look = () => {
          if (!pattern.test(output)) return;
          child.stdout?.off('data', look);
          child.stderr?.off('data', look);
          resolveWait();
        };
        child.stdout?.on('data', look);
        child.stderr?.on('data', look);
        look();
      }),
    stop(signal = 'SIGTERM') {
      child.kill(signal);
      return exited;
    },
  };
}

/** For tests that start real processes: the folder and backend a test puts here are cleaned up after it. */
export interface ProcessTestContext {
  dir?: ReturnType<typeof tempDir>;
  backend?: BackendProcess;
}

export function cleanUpAfterEach(): ProcessTestContext {
  const t: ProcessTestContext = {};
  afterEach(async () => {
    if (t.backend?.child.exitCode === null) await t.backend.stop('SIGKILL');
    t.backend = undefined;
    await t.dir?.remove();
    t.dir = undefined;
  });
  return t;
}

/** Run the CLI to completion (for commands that exit, like `migrate`), optionally as another user. */
export function runBackendCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  user: { uid?: number; gid?: number } = {},
): Promise<{ code: number | null; output: string; stdout: string }> {
  return onTestDatabase(args, env).then(({ args, env }) => runCli(args, env, user));
}

function runCli(args: string[], env: NodeJS.ProcessEnv, user: { uid?: number; gid?: number }): Promise<{ code: number | null; output: string; stdout: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [backendCli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...user });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      output += String(d);
      stdout += String(d);
    });
    child.stderr.on('data', (d) => (output += String(d)));
    // 'close', not 'exit': all of stdout has been read by then (export prints megabytes).
    child.once('close', (code) => done({ code, output, stdout }));
  });
}

/** A self-signed certificate for 127.0.0.1 and localhost, as an administrator without a CA makes one (openssl CLI). */
export function selfSignedCertificate(dir: string, name = 'server'): { cert: string; key: string } {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-days', '1', '-keyout', files.key, '-out', files.cert],
    { stdio: 'ignore' },
  );
  return files;
}

/** `fleetmon-backend token add` through the real CLI; returns the token it printed. */
export async function addTokenWithCli(dbPath: string, ...args: string[]): Promise<string> {
  const { code, output } = await runBackendCli(['token', 'add', ...args, '--db', dbPath]);
  const token = /^(fmt_\S+)$/m.exec(output)?.[1];
  if (code !== 0 || !token) throw new Error(`token add ${args.join(' ')} failed:\n${output}`);
  return token;
}
