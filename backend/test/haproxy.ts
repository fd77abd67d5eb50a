// A real load balancer in front of test backends: Debian's haproxy as a child process in the
// foreground, round-robin over the backends, health-checked on GET /health, with the settings the
// README's walkthrough gives a sysadmin (a dead backend's new requests go to a survivor).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from '../../agent/test/processes.js';

/** What to install when haproxy is missing. */
export const HAPROXY_PACKAGE_HINT = "haproxy is not installed: install Debian's package `haproxy` (apt-get install haproxy) to run the multi-instance test";

/** /usr/sbin/haproxy (Debian's), else one on PATH. */
export function findHaproxy(): string | undefined {
  const dirs = ['/usr/sbin', ...(process.env.PATH ?? '').split(':').filter(Boolean)];
  return dirs.map((dir) => join(dir, 'haproxy')).find((path) => existsSync(path));
}

/**
 * The configuration: `retries` with `option redispatch` sends a request whose connection a dead
 * backend refused to another one; `inter 200ms fall 1` takes a dead backend out of the rotation
 * within a fraction of a second (a real installation checks every 2 s, the default). A request
 * already sent to a backend that dies is answered 502 (haproxy does not resend it): the agent
 * sends it again with the same sample_id.
 */
export function haproxyConfig(port: number, backends: string[]): string {
  const servers = backends.map((url, i) => `  server backend${i + 1} ${new URL(url).host} check inter 200ms fall 1 rise 1`);
  return [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  retries 3',
    '  option redispatch',
    'frontend fleetmon',
    `  bind 127.0.0.1:${port}`,
    '  default_backend fleetmon_backends',
    'backend fleetmon_backends',
    '  balance roundrobin',
    '  option httpchk GET /health',
    '  http-check expect status 200',
    ...servers,
    '',
  ].join('\n');
}

export interface HaproxyProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Start haproxy in the foreground (-db) in front of `backends`; resolves once it answers GET /health. */
export async function startHaproxy(dir: string, backends: string[], binary = findHaproxy()): Promise<HaproxyProcess> {
  if (!binary) throw new Error(HAPROXY_PACKAGE_HINT);
  const port = await freePort();
  const configFile = join(dir, 'haproxy.cfg');
  writeFileSync(configFile, haproxyConfig(port, backends));
  const child = spawn(binary, ['-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(`haproxy on ${url}`, async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${output}`);
      return (await fetch(`${url}/health`)).status === 200;
    });
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n${output}`);
  }
  return { url, child, output: () => output, stop };
}
