// Running the real fleetmon-agent process in tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../backend/test/helpers.js';

export const agentCli = join(repoRoot, 'dist/agent/cli.js');
export const agentBundle = join(repoRoot, 'dist/fleetmon-agent.cjs');

export interface AgentProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnAgent(args: string[], options: { script?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): AgentProcess {
  const child = spawn(process.execPath, [options.script ?? agentCli, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += String(d)));
  child.stderr?.on('data', (d) => (output += String(d)));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    output: () => output,
    exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Run the agent to completion (--print, --once). */
export async function runAgent(args: string[], options: { script?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const agent = spawnAgent(args, options);
  const code = await agent.exited;
  return { code, output: agent.output() };
}

/** A TCP port that was free a moment ago, so a backend can be restarted on the same address. */
export { freePort } from '../../shared/free-port.js';

/**
 * Wait for what another process does (a file, a row, an answer of its API), which sends no event
 * we could wait on: probe every 100 ms until the probe gives a value. A probe that throws counts as
 * "not yet"; its last error is in the message if time runs out.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
