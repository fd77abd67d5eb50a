import { readFile, rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { firstLine, runCustomCheck } from './custom-check.js';
import { parseProcPidStat } from './processes.js';

const run = (command: string, timeoutMs = 5000) => runCustomCheck(command, { timeoutMs });

/** Running, as opposed to gone or a zombie nobody has reaped yet (the container's init may never reap). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const state = parseProcPidStat(stat)?.state;
  return state !== undefined && state !== 'Z';
}

describe('firstLine', () => {
  it('is the first line with something on it, trimmed and cut to 200 characters', () => {
    expect(firstLine('\n  \r\n  disk full  \r\nsecond\n')).toBe('disk full');
    expect(firstLine('x'.repeat(500))).toHaveLength(200);
    expect(firstLine(' \n\n')).toBeUndefined();
  });
});

describe('runCustomCheck', () => {
  it('is quiet when the command succeeds', async () => {
    expect(await run('exit 0')).toEqual({ custom_alert: false });
  });

  it('alerts on a non-zero exit, with the first line of stdout', async () => {
    expect(await run('echo disk full; exit 2')).toEqual({ custom_alert: true, custom_message: 'disk full' });
  });

  it('falls back to stderr, then to the exit status', async () => {
    expect(await run('echo "no such pool" >&2; exit 1')).toEqual({ custom_alert: true, custom_message: 'no such pool' });
    expect(await run('exit 3')).toEqual({ custom_alert: true, custom_message: 'check exited with status 3' });
  });

  it('keeps the message of a check that passes', async () => {
    expect(await run('printf "\\n  all 3 replicas healthy\\n"')).toEqual({ custom_alert: false, custom_message: 'all 3 replicas healthy' });
  });

  it('alerts when the command is killed by a signal', async () => {
    expect(await run('kill -TERM $$')).toEqual({ custom_alert: true, custom_message: 'check was killed by SIGTERM' });
  });

  it('gives up on `sleep 5` after a 300 ms timeout and says so', async () => {
    const started = Date.now();
    expect(await run('sleep 5', 300)).toEqual({ custom_alert: true, custom_message: 'check timed out after 0.3 s' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('kills what the command started, not only the shell, on timeout', async () => {
    const marker = `/tmp/fleetmon-check-${process.pid}-${Date.now()}`;
    await run(`sleep 30 & echo $! > ${marker}; wait`, 200);
    const pid = Number(await readFile(marker, 'utf8'));
    await rm(marker);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pid).toBeGreaterThan(0);
    expect(await isRunning(pid)).toBe(false);
  });

  it('does not wait for a background child that keeps the output open', async () => {
    const started = Date.now();
    expect(await run('sleep 3 & echo started; exit 0', 5000)).toEqual({ custom_alert: false, custom_message: 'started' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reads past 64 KiB of output without holding it all', async () => {
    const result = await run('echo first; head -c 1000000 /dev/zero | tr "\\0" x; exit 1');
    expect(result).toEqual({ custom_alert: true, custom_message: 'first' });
  });
});
