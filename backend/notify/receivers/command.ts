// command: run a program with the Alertmanager-format JSON on its stdin; exit 0 means delivered.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { alertmanagerMessage } from '../alertmanager.js';
import type { Batch, SendContext } from '../notice.js';
import { type SecretSources, checkSettings } from '../settings.js';
import { DurationError, parseDurationSeconds } from '../../../shared/duration.js';
import { NotifyFileError } from '../settings.js';

const schema = z.strictObject({
  /** The program and its arguments; no shell. */
  argv: z.array(z.string().min(1)).min(1),
  timeout: z.union([z.number().positive(), z.string()]).optional(),
});

interface CommandSettings {
  argv: string[];
  timeoutMs: number;
}

export const command = {
  settings(raw: Record<string, unknown>, where: string, _secrets: SecretSources): CommandSettings {
    const c = checkSettings(schema, raw, where);
    let timeoutMs = 30_000;
    try {
      if (c.timeout !== undefined) timeoutMs = parseDurationSeconds(c.timeout, `${where}.timeout`) * 1000;
    } catch (err) {
      throw err instanceof DurationError ? new NotifyFileError(err.message) : err;
    }
    return { argv: c.argv, timeoutMs };
  },
  send(s: CommandSettings, b: Batch, ctx: SendContext): Promise<void> {
    return new Promise((resolve, reject) => {
      const [program, ...args] = s.argv as [string, ...string[]];
      const child = spawn(program, args, { stdio: ['pipe', 'ignore', 'pipe'], timeout: s.timeoutMs });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr = (stderr + String(d)).slice(-500)));
      child.once('error', (err) => reject(new Error(`cannot run ${program}: ${err.message}`)));
      child.once('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`${program} ${signal ? `was killed by ${signal}` : `exited with ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
      });
      // A program that exits without reading its input is its own business: ignore EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(JSON.stringify(alertmanagerMessage(b, ctx)));
    });
  },
};
