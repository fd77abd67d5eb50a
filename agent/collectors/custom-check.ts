// The user's own check: a shell command that fails (non-zero exit, signal, timeout) to raise
// the custom alert, and whose first line of output says why.
import { spawn } from 'node:child_process';
import { errorMessage } from './errors.js';

export type CustomCheckResult = {
  custom_alert: boolean;
  custom_message?: string;
};

export interface CustomCheckOptions {
  timeoutMs: number;
}

const OUTPUT_CAP_BYTES = 64 * 1024;
const MESSAGE_MAX_CHARS = 200;
/** After the shell exits, how long background children may keep its pipes open before we stop reading. */
const DRAIN_MS = 200;

/** Keeps the first `cap` bytes of a stream and discards the rest, still reading so the writer never blocks. */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly cap: number) {}
  add(chunk: Buffer): void {
    if (this.size >= this.cap) return;
    const kept = chunk.subarray(0, this.cap - this.size);
    this.chunks.push(kept);
    this.size += kept.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function firstLine(text: string): string | undefined {
  const line = text
    .split(/\r?\n/)
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate !== '');
  return line === undefined ? undefined : line.slice(0, MESSAGE_MAX_CHARS);
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

export function runCustomCheck(command: string, options: CustomCheckOptions): Promise<CustomCheckResult> {
  return new Promise((resolve) => {
    // Its own process group, so a timeout can kill everything the command started, not just the shell.
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = new CappedOutput(OUTPUT_CAP_BYTES);
    const stderr = new CappedOutput(OUTPUT_CAP_BYTES);
    child.stdout.on('data', (chunk: Buffer) => stdout.add(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.add(chunk));

    let drainTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const finish = (result: CustomCheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(drainTimer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(result);
    };

    const fromExit = (code: number | null, signal: NodeJS.Signals | null): CustomCheckResult => {
      const output = firstLine(stdout.text()) ?? firstLine(stderr.text());
      if (signal) return { custom_alert: true, custom_message: output ?? `check was killed by ${signal}` };
      if (code !== 0) return { custom_alert: true, custom_message: output ?? `check exited with status ${code}` };
      return output === undefined ? { custom_alert: false } : { custom_alert: false, custom_message: output };
    };

    const deadline = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group is already gone: nothing left to stop.
        }
      }
      finish({ custom_alert: true, custom_message: `check timed out after ${seconds(options.timeoutMs)}` });
    }, options.timeoutMs);

    child.on('error', (err) => finish({ custom_alert: true, custom_message: `could not run check: ${errorMessage(err)}`.slice(0, MESSAGE_MAX_CHARS) }));
    // 'close' waits for the pipes too, which a backgrounded child may hold open indefinitely.
    child.on('exit', (code, signal) => {
      drainTimer = setTimeout(() => finish(fromExit(code, signal)), DRAIN_MS);
    });
    child.on('close', (code, signal) => finish(fromExit(code, signal)));
  });
}
