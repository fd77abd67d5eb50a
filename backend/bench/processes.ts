// Child processes for benchmarks: the real backend (and a bare Koa app) run in their own process,
// so the load generator in this one does not share their event loop.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const distRoot = join(import.meta.dirname, '../..');

export interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Start `node script args` and wait for the line `listening on http://...`. */
export async function startServer(script: string, args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [join(distRoot, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const look = (data: Buffer) => {
      output += String(data);
      const match = /listening on (http:\/\/[^\s,]+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

export const startBackend = (dbPath: string, extra: string[] = []) =>
  startServer('backend/cli.js', ['--db', dbPath, '--port', '0', ...extra]);
