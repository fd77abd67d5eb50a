// One backend at a time runs a timed job; when its holder stops renewing, another takes over.
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type OpenedDatabase, connectDatabase } from './store/db.js';
import { migrateToLatest } from './store/migrate.js';
import { DEFAULT_WRITE_OPTIONS } from './store/write-transaction.js';
import { tempDir, testDatabase } from './test/helpers.js';
import { singleRunner } from './single-runner.js';

let dir: ReturnType<typeof tempDir> | undefined;
let database: OpenedDatabase | undefined;
afterEach(async () => {
  await database?.close();
  await dir?.remove();
});

it('runs a job on one backend at a time, and on another once the holder stops renewing or lets go', async () => {
  dir = tempDir();
  database = await connectDatabase(await testDatabase(join(dir.path, 'monitor.sqlite')));
  await migrateToLatest(database.db);
  let clock = 1_700_000_000;
  // Owners on other hosts: only expiry can tell that they are gone.
  const runner = (owner: string) => singleRunner({ db: database!.db, name: 'maintenance', owner, ttlSeconds: 30, now: () => clock, write: DEFAULT_WRITE_OPTIONS });
  const a = runner('host-a:101::a');
  const b = runner('host-b:202::b');
  const ran: string[] = [];
  const turn = (who: string) => async () => void ran.push(who);

  expect(await a.run(turn('a'))).toBe(true);
  expect(await b.run(turn('b'))).toBe(false);
  clock += 20;
  // A renews before its lease ends: B still waits.
  expect(await a.run(turn('a'))).toBe(true);
  clock += 29;
  expect(await b.run(turn('b'))).toBe(false);
  // A dies: nothing renews; once its lease has run out, B takes the job.
  clock += 2;
  expect(await b.run(turn('b'))).toBe(true);
  expect(await a.run(turn('a'))).toBe(false);
  // A clean stop hands it over at once.
  await b.release();
  expect(await a.run(turn('a'))).toBe(true);
  expect(ran).toEqual(['a', 'a', 'b', 'a']);
});
