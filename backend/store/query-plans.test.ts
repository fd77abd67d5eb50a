// The reads behind GET /metrics, GET /alerts and GET /health must not scan the history tables:
// their cost has to stay the same with a million rows as with ten.
import { join } from 'node:path';
import type { Compilable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { activeAlertsQuery, alertsEverStoredQuery, filteredAlertsQuery, openProblemsQuery } from './alerts.js';
import { devicesWithLatestQuery } from './devices.js';
import { type OpenedDatabase, openDatabase } from './db.js';
import { migrateToLatest } from './migrate.js';
import { lastNotificationQuery, listNotificationsQuery, oldestPendingQuery, sentSinceQuery } from './notifications.js';
import { latestSamplesQuery, recentCpuMemoryQuery } from './samples.js';

let dir: ReturnType<typeof tempDir>;
let database: OpenedDatabase;

beforeAll(async () => {
  dir = tempDir();
  database = openDatabase(join(dir.path, 'plans.sqlite'));
  await migrateToLatest(database.db);
  database.sqlite.exec('analyze');
});

afterAll(async () => {
  await database.close();
  await dir.remove();
});

function plan(query: Compilable): string {
  const { sql, parameters } = query.compile();
  const rows = database.sqlite.prepare(`explain query plan ${sql}`).all(...(parameters as unknown[])) as { detail: string }[];
  return rows.map((r) => r.detail).join('\n');
}

describe('query plans of the hot reads', () => {
  it('GET /metrics walks devices and looks samples up by primary key', () => {
    const p = plan(latestSamplesQuery(database.db));
    expect(p).toMatch(/SEARCH samples USING INTEGER PRIMARY KEY/);
    expect(p).not.toMatch(/SCAN samples/);
  });

  it('GET /alerts reads the newest rows through the time index', () => {
    // What GET /alerts runs without parameters: the 20 most recent, plus one to see if there are more.
    const p = plan(filteredAlertsQuery(database.db, { limit: 21 }));
    expect(p).toMatch(/SCAN alerts USING INDEX alerts_time/);
    expect(p).not.toMatch(/TEMP B-TREE/);
  });

  it('GET /health counts alerts from the primary key, not by scanning', () => {
    const p = plan(alertsEverStoredQuery(database.db));
    expect(p).toMatch(/SEARCH alerts/);
    expect(p).not.toMatch(/SCAN alerts/);
  });

  it("a device's open alerts come from alert_state's primary key", () => {
    const p = plan(activeAlertsQuery(database.db, 'x'));
    expect(p).toMatch(/SEARCH alert_state USING INDEX sqlite_autoindex_alert_state_1 \(device_id=\?\)/);
  });

  it("a device's alert history is read through its (device, time) index", () => {
    const p = plan(filteredAlertsQuery(database.db, { device: 'x', limit: 21, before: { timestamp: 5, id: 9 } }));
    expect(p).toMatch(/SEARCH alerts USING INDEX alerts_device_time \(device_id=\?/);
    expect(p).not.toMatch(/TEMP B-TREE/);
  });

  it('GET /devices reads each latest sample and open-alert count by key', () => {
    const p = plan(devicesWithLatestQuery(database.db));
    expect(p).toMatch(/SEARCH samples USING INTEGER PRIMARY KEY/);
    expect(p).toMatch(/SEARCH alert_state USING (COVERING )?INDEX sqlite_autoindex_alert_state_1 \(device_id=\?\)/);
    expect(p).not.toMatch(/SCAN (samples|alerts|alert_state)/);
  });

  it('GET /prometheus reads the open problems from alert_state, each alert by its key', () => {
    const p = plan(openProblemsQuery(database.db));
    expect(p).toMatch(/SEARCH alerts USING INTEGER PRIMARY KEY/);
    expect(p).not.toMatch(/SCAN (samples|alerts)/);
  });

  it("GET /metrics/:id finds one device's latest sample by keys", () => {
    const p = plan(latestSamplesQuery(database.db).where('devices.id', '=', 'x'));
    expect(p).toMatch(/SEARCH devices USING INDEX sqlite_autoindex_devices_1 \(id=\?\)/);
    expect(p).toMatch(/SEARCH samples USING INTEGER PRIMARY KEY/);
    expect(p).not.toMatch(/SCAN/);
  });

  it("GET /history/:id reads a device's newest samples backwards through its (device, time) index", () => {
    const p = plan(recentCpuMemoryQuery(database.db, 'x', 24));
    expect(p).toMatch(/SEARCH samples USING INDEX samples_device_time \(device_id=\?\)/);
    expect(p).not.toMatch(/TEMP B-TREE|SCAN/);
  });
});

describe('query plans of the notification sender and GET /notifications', () => {
  it("a receiver's next message, its recent sends and a problem's last message come from indexes", () => {
    const next = plan(oldestPendingQuery(database.db, 'phone', 0));
    expect(next).toMatch(/SEARCH notifications USING (COVERING )?INDEX notifications_receiver_status \(receiver=\? AND status=\?\)/);
    expect(next).not.toMatch(/TEMP B-TREE/);
    expect(plan(sentSinceQuery(database.db, 'phone', 5))).toMatch(/SEARCH notifications USING COVERING INDEX notifications_receiver_sent \(receiver=\? AND sent_at>\?\)/);
    const last = plan(lastNotificationQuery(database.db, 7, 'phone'));
    expect(last).toMatch(/SEARCH notifications USING INDEX notifications_problem \(problem_alert_id=\? AND receiver=\?\)/);
  });

  it('GET /notifications?status= pages through the status index', () => {
    const p = plan(listNotificationsQuery(database.db, { status: 'pending', beforeId: 100, limit: 101 }));
    expect(p).toMatch(/SEARCH notifications USING INDEX notifications_status \(status=\? AND id<\?\)/);
    expect(p).not.toMatch(/TEMP B-TREE/);
  });
});
