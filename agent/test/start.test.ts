// `npm start`, as the README's quick start runs it: the backend and a local agent, on the port
// FLEETMON_PORT names (both of them), storing into the database FLEETMON_DB names.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cleanUpAfterEach, queryDb, repoRoot, request, tempDir } from '../../backend/test/helpers.js';
import { freePort, waitFor } from './processes.js';

const t = cleanUpAfterEach();

it('npm start runs the backend and an agent that reports to it, on FLEETMON_PORT', async () => {
  t.dir = tempDir();
  const db = join(t.dir.path, 'monitor.sqlite');
  const port = await freePort();
  const child = spawn('npm', ['start'], {
    cwd: repoRoot,
    env: { ...process.env, FLEETMON_PORT: String(port), FLEETMON_DB: db, FLEETMON_SPOOL_DIR: join(t.dir.path, 'spool'), FLEETMON_INTERVAL: '1s' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const exited = new Promise((done) => child.once('exit', done));
  try {
    await waitFor(`a sample stored by the local agent; output so far:\n${output}`, () => existsSync(db) && storedSamples(db) > 0);
    const latest = await request<{ agent_id: string }[]>(`http://127.0.0.1:${port}/metrics`);
    expect(latest.body).toHaveLength(1);
    expect(output).toContain(`listening on http://127.0.0.1:${port}`);
  } finally {
    // Ctrl-C reaches the whole process group, as in a terminal.
    process.kill(-child.pid!, 'SIGINT');
    await exited;
  }
});

/** Samples in the file; 0 while the backend has created the file but not yet its tables. */
function storedSamples(db: string): number {
  try {
    return queryDb<{ n: number }>(db, 'select count(*) as n from samples')[0]!.n;
  } catch (err) {
    if (/no such table/.test((err as Error).message)) return 0;
    throw err;
  }
}
