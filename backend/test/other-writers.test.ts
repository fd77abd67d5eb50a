// What another connection commits to the database file while the backend runs (a sqlite3 shell,
// the CLI, a second backend) counts at the next request, though the backend keeps tokens and each
// device's alert state in memory: both are dropped when SQLite's data_version moves.
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createToken } from '../auth/tokens.js';
import { revokeToken } from '../store/tokens.js';
import { type HttpAnswer, backendForEachTest, queryDb, request } from './helpers.js';
import { healthyExample, originalExample } from './payloads.js';

const t = backendForEachTest();
let shell: SQLite.Database;
beforeEach(() => {
  shell = new SQLite(t.dbPath);
  shell.pragma('busy_timeout = 5000');
});
afterEach(() => shell.close());

function post(body: unknown, token?: string): Promise<HttpAnswer<{ error?: string }>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  return request(`${t.backend.url}/metrics`, { method: 'POST', headers, body: JSON.stringify(body) });
}

const openAlerts = () => queryDb<{ n: number }>(t.dbPath, "select count(*) as n from alert_state where device_id = 'demo-agent'")[0]!.n;
const firedAlerts = () => queryDb<{ n: number }>(t.dbPath, "select count(*) as n from alerts where device_id = 'demo-agent' and kind = 'fired'")[0]!.n;

describe('writes by another connection', () => {
  it('a token revoked in a sqlite3 shell is refused at the next request', async () => {
    await createToken(t.backend.database.db, { role: 'admin' }, t.clock);
    const { token, row } = await createToken(t.backend.database.db, { role: 'agent', deviceId: 'demo-agent' }, t.clock);
    expect((await post(healthyExample, token)).status).toBe(200);
    expect((await post(healthyExample, token)).status).toBe(200);

    shell.prepare('update tokens set revoked_at = ? where id = ?').run(t.clock, row.id);
    const refused = await post(healthyExample, token);
    expect(refused.status).toBe(401);
    expect(refused.body.error).toContain(`token ${row.id} was revoked at`);
  });

  it('a token added in a sqlite3 shell closes an open API at the next request', async () => {
    expect((await post(healthyExample)).status).toBe(200);
    const { row } = await createToken(t.backend.database.db, { role: 'admin' }, t.clock);
    expect((await post(healthyExample)).status).toBe(401);
    // Back to open through this process, then closed again by the shell.
    await revokeToken(t.backend.database.db, row.id, t.clock);
    expect((await post(healthyExample)).status).toBe(200);
    shell.prepare('update tokens set revoked_at = null where id = ?').run(row.id);
    expect((await post(healthyExample)).status).toBe(401);
  });

  it("open problems deleted in a sqlite3 shell fire again on the device's next sample", async () => {
    expect((await post(originalExample)).status).toBe(200);
    const open = openAlerts();
    const fired = firedAlerts();
    expect(open).toBeGreaterThan(0);
    t.clock += 60;
    expect((await post(originalExample)).status).toBe(200);
    expect(firedAlerts()).toBe(fired);

    shell.prepare("delete from alert_state where device_id = 'demo-agent'").run();
    t.clock += 60;
    expect((await post(originalExample)).status).toBe(200);
    expect(openAlerts()).toBe(open);
    expect(firedAlerts()).toBe(fired + open);
  });
});
