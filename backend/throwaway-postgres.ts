// A throwaway PostgreSQL cluster for a test run or a benchmark: initdb and pg_ctl in a temporary
// directory, listening on a free loopback port (and a unix socket in that directory), stopped and
// deleted at the end. PostgreSQL refuses to run as root, so under root (CI) it runs as `nobody`.
// Outside backend/test so that the benchmarks (built into dist) can start one too.
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../shared/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What to install when PostgreSQL is missing. */
export const POSTGRES_PACKAGE_HINT = "PostgreSQL is not installed: install Debian's package `postgresql` (apt-get install postgresql) to run the PostgreSQL variants";

/** The directory holding initdb, pg_ctl and psql: the newest /usr/lib/postgresql/N/bin, else PATH. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

export interface PostgresCluster {
  /** Superuser URL with its password, of the `postgres` database; tests make their own databases. */
  url: string;
  /** The postmaster's process id (its children are the connections' backends), for CPU accounting. */
  pid: number;
  stop(): void;
}

export interface ClusterOptions {
  /**
   * Sync the WAL at every commit as an installation does (fsync, full_page_writes on), for
   * benchmarks that compare with SQLite's --sync full. Tests leave it off: PostgreSQL's own
   * durability is not what they test, and speed is welcome.
   */
  durable?: boolean;
}

const SUPERUSER = 'fleetmon';
const PASSWORD = 'fleetmon-test-secret';

/** Run as `nobody` when we are root (PostgreSQL will not run as root). */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'nobody', '--', command, ...args]] : [command, args];
}

export async function startPostgresCluster(bin = findPostgresBin(), options: ClusterOptions = {}): Promise<PostgresCluster> {
  if (!bin) throw new Error(POSTGRES_PACKAGE_HINT);
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${PASSWORD}\n`);
  if (process.getuid?.() === 0) {
    chownSync(dir, 65534, 65534);
    chownSync(pwfile, 65534, 65534);
  }
  const run = (program: string, args: string[]) => {
    const [command, fullArgs] = asPostgresUser(join(bin, program), args);
    execFileSync(command, fullArgs, { stdio: 'pipe', cwd: dir });
  };
  try {
    // Password authentication over TCP, as a real installation: the URL's password is used.
    run('initdb', ['-D', data, '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
    const port = await freePort();
    const durability = options.durable ? [] : ['-c fsync=off', '-c full_page_writes=off'];
    const settings = [`-p ${port}`, '-c listen_addresses=127.0.0.1', `-k ${dir}`, ...durability, '-c max_connections=300'];
    run('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '30', '-o', settings.join(' '), 'start']);
    let stopped = false;
    return {
      url: `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
      pid: Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
      stop() {
        if (stopped) return;
        stopped = true;
        try {
          run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    const { stderr } = err as { stderr?: Buffer };
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start a throwaway PostgreSQL cluster with ${bin}: ${stderr?.toString() ?? String(err)}`);
  }
}

let databases = 0;

/** A new, empty database on the cluster, named after `name`; its URL. */
export async function createDatabase(cluster: PostgresCluster, name: string): Promise<string> {
  const client = new pg.Client(cluster.url);
  await client.connect();
  const database = `fleetmon_bench_${name}_${++databases}`;
  try {
    await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
  const url = new URL(cluster.url);
  url.pathname = `/${database}`;
  return url.toString();
}
