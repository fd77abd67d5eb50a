// fleetmon-agent's options and environment variables -> one typed AgentConfig.
import { readFileSync } from 'node:fs';
import { hostname, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import bytes from 'bytes';
import { Option } from 'commander';
import { parseDurationSeconds } from '../shared/duration.js';
import { LIMITS, agentIdPattern } from '../shared/payload.js';

export interface AgentConfig {
  /** The backend URL without credentials: safe to log. */
  server: string | undefined;
  /** The Authorization header for the backend: Bearer with a token, Basic from URL credentials. */
  authorization: string | undefined;
  intervalMs: number;
  agentId: string;
  criticalProcesses: string[];
  customCheck: string | undefined;
  customCheckTimeoutMs: number;
  ntpServer: { host: string; port: number } | undefined;
  spoolDir: string;
  spoolMaxBytes: number;
  retryMaxMs: number;
  timeoutMs: number;
  once: boolean;
  print: boolean;
  procRoot: string;
  sysRoot: string;
}

export class AgentConfigError extends Error {}

export interface RawAgentOptions {
  server?: string;
  tokenFile?: string;
  interval: string;
  agentId?: string;
  criticalProcess: string[];
  customCheck?: string;
  customCheckTimeout: string;
  ntpServer?: string;
  spoolDir?: string;
  spoolMax: string;
  retryMax: string;
  timeout: string;
  once?: boolean;
  print?: boolean;
  procRoot: string;
  sysRoot: string;
}

/** Repeated --critical-process flags, or one comma/space separated list from the environment. */
const collectNames = (value: string, previous: string[] = []) => [...previous, ...value.split(/[\s,]+/).filter(Boolean)];

export const agentOptions = (): Option[] => [
  new Option('--server <url>', 'backend to send samples to, e.g. http://monitor.lan:8000').env('FLEETMON_SERVER'),
  // The token itself is taken only from the environment (FLEETMON_TOKEN), never as an option: options show in `ps`.
  new Option('--token-file <file>', 'file holding the token to send to the backend (or set FLEETMON_TOKEN)').env('FLEETMON_TOKEN_FILE'),
  new Option('--interval <duration>', 'time between samples: 10s, 1m, ...').env('FLEETMON_INTERVAL').default('10s'),
  new Option('--agent-id <id>', "this machine's name in the backend (default: the hostname)").env('FLEETMON_AGENT_ID'),
  new Option('--critical-process <name>', 'a process that must be running; repeat for several (env: comma-separated)')
    .env('FLEETMON_CRITICAL_PROCESSES')
    .argParser(collectNames)
    .default([]),
  new Option('--custom-check <command>', 'shell command run each sample; a non-zero exit or a timeout raises the custom alert').env('FLEETMON_CUSTOM_CHECK'),
  new Option('--custom-check-timeout <duration>', 'how long the custom check may run').env('FLEETMON_CUSTOM_CHECK_TIMEOUT').default('10s'),
  new Option('--ntp-server <host[:port]>', "measure clock drift against this NTP server (default: against the backend's clock)").env('FLEETMON_NTP_SERVER'),
  new Option('--spool-dir <dir>', 'where samples wait until the backend acknowledges them (default: $STATE_DIRECTORY/spool or ~/.local/state/fleetmon-agent/spool)').env('FLEETMON_SPOOL_DIR'),
  new Option('--spool-max <size>', 'cap on the spool; past it the oldest samples are dropped').env('FLEETMON_SPOOL_MAX').default('50mb'),
  new Option('--retry-max <duration>', 'longest wait between attempts while the backend is unreachable').env('FLEETMON_RETRY_MAX').default('60s'),
  new Option('--timeout <duration>', 'how long to wait for the backend to answer one sample').env('FLEETMON_TIMEOUT').default('10s'),
  new Option('--once', 'send one sample and exit: 0 if the backend accepted it, 1 if not'),
  new Option('--print', 'collect one sample and print it as JSON instead of sending it'),
  new Option('--proc-root <dir>', 'where procfs is mounted (for containers)').env('FLEETMON_PROC_ROOT').default('/proc'),
  new Option('--sys-root <dir>', 'where sysfs is mounted (for containers)').env('FLEETMON_SYS_ROOT').default('/sys'),
];

/** The hostname made acceptable as an agent_id (the backend allows letters, digits and . _ : @ -). */
export function defaultAgentId(host = hostname()): string {
  const cleaned = host.replace(/[^A-Za-z0-9._:@-]/g, '-').slice(0, LIMITS.agentIdMax);
  return cleaned || 'unnamed-host';
}

export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  // systemd sets STATE_DIRECTORY for a unit with StateDirectory=.
  const stateDir = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDir) return join(stateDir, 'spool');
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'fleetmon-agent', 'spool');
}

/** A backend URL, checked; shared with fleetmon-sim. */
export function parseServer(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AgentConfigError(`--server must be a URL such as http://monitor.lan:8000, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AgentConfigError(`--server must be an http:// or https:// URL, got '${text}'`);
  }
  return url.toString();
}

export interface BackendAddress {
  /** The URL without user name and password. */
  server: string;
  /** HTTP Basic from the URL's credentials (http://web-1:TOKEN@host:8000), as Python's requests sends them. */
  authorization: string | undefined;
}

/** A backend URL, its credentials taken out so that it can be logged; shared with fleetmon-sim. */
export function parseBackendAddress(text: string): BackendAddress {
  const url = new URL(parseServer(text));
  if (!url.username && !url.password) return { server: url.toString(), authorization: undefined };
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  return { server: url.toString(), authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** A token fits in a header: printable, no spaces (a file may end with a newline, which is dropped). */
function checkedToken(token: string, source: string): string {
  const trimmed = token.trim();
  if (!trimmed) throw new AgentConfigError(`${source} is empty: put the token that 'fleetmon-backend token add' printed in it`);
  if (!/^[\x21-\x7e]+$/.test(trimmed)) throw new AgentConfigError(`${source} does not hold a token: one line, no spaces, as 'fleetmon-backend token add' printed it`);
  return trimmed;
}

function readTokenFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    throw new AgentConfigError(`--token-file ${file}: cannot read it (${code ?? message}); check the path (FLEETMON_TOKEN_FILE) and that the agent's user may read it`);
  }
  return checkedToken(text, `--token-file ${file}`);
}

/** The Authorization header from the one place a token was given, if any. */
function backendAuthorization(raw: RawAgentOptions, env: NodeJS.ProcessEnv, fromUrl: string | undefined): string | undefined {
  const given = [
    raw.tokenFile ? '--token-file (FLEETMON_TOKEN_FILE)' : undefined,
    env.FLEETMON_TOKEN ? 'FLEETMON_TOKEN' : undefined,
    fromUrl ? 'credentials in --server' : undefined,
  ].filter((source) => source !== undefined);
  if (given.length > 1) throw new AgentConfigError(`the token is given twice, by ${given.join(' and ')}: keep one`);
  if (raw.tokenFile) return `Bearer ${readTokenFile(resolve(raw.tokenFile))}`;
  if (env.FLEETMON_TOKEN) return `Bearer ${checkedToken(env.FLEETMON_TOKEN, 'FLEETMON_TOKEN')}`;
  return fromUrl;
}

function parseNtpServer(text: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text.trim());
  if (!match?.[1]) throw new AgentConfigError(`--ntp-server must be a host or host:port, got '${text}'`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port: match[2] ? Number(match[2]) : 123 };
}

/** A duration option in seconds, at least `min`; shared with fleetmon-sim. */
export function seconds(text: string, option: string, min: number): number {
  let value: number;
  try {
    value = parseDurationSeconds(text, option);
  } catch (err) {
    throw new AgentConfigError((err as Error).message);
  }
  if (value < min) throw new AgentConfigError(`${option} must be at least ${min} s, got '${text}'`);
  return value;
}

export function buildAgentConfig(raw: RawAgentOptions, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const print = raw.print === true;
  if (!print && !raw.server) {
    throw new AgentConfigError('--server is required (or FLEETMON_SERVER): the backend URL, e.g. --server http://monitor.lan:8000. Use --print to only look at a sample.');
  }
  const agentId = raw.agentId ?? defaultAgentId();
  if (!agentIdPattern.test(agentId) || agentId.length > LIMITS.agentIdMax) {
    throw new AgentConfigError(`--agent-id may contain only letters, digits and . _ : @ - (at most ${LIMITS.agentIdMax}), got '${agentId}'`);
  }
  const spoolMaxBytes = bytes.parse(raw.spoolMax);
  if (spoolMaxBytes === null || !Number.isFinite(spoolMaxBytes) || spoolMaxBytes <= 0) {
    throw new AgentConfigError(`--spool-max must be a size such as 50mb or 1gb, got '${raw.spoolMax}'`);
  }
  const interval = seconds(raw.interval, '--interval', 0.1);
  // The backend refuses a declared interval over a day (and such a machine would look offline anyway).
  if (interval > 86400) throw new AgentConfigError(`--interval must be at most 1 day, got '${raw.interval}'`);
  const backend = raw.server ? parseBackendAddress(raw.server) : undefined;
  return {
    server: backend?.server,
    authorization: backendAuthorization(raw, env, backend?.authorization),
    intervalMs: interval * 1000,
    agentId,
    criticalProcesses: [...new Set(raw.criticalProcess)],
    customCheck: raw.customCheck || undefined,
    customCheckTimeoutMs: seconds(raw.customCheckTimeout, '--custom-check-timeout', 0.1) * 1000,
    ntpServer: raw.ntpServer ? parseNtpServer(raw.ntpServer) : undefined,
    spoolDir: resolve(raw.spoolDir ?? defaultSpoolDir(env)),
    spoolMaxBytes,
    retryMaxMs: seconds(raw.retryMax, '--retry-max', 0.1) * 1000,
    timeoutMs: seconds(raw.timeout, '--timeout', 0.1) * 1000,
    once: raw.once === true,
    print,
    procRoot: raw.procRoot,
    sysRoot: raw.sysRoot,
  };
}
