// Raw samples a running backend holds: its samples table keeps each device's last two or three
// hours as rows until maintenance packs them into blocks (PACK_AFTER_SECONDS). Written straight
// into a new SQLite file with ingest's own insert statement, and marked rolled up, so that the
// backend started on it has no maintenance backlog: only bigger indexes to insert into.
import type { MetricsPayload } from '../../shared/payload.js';
import { openDatabase } from '../store/db.js';
import { prepareIngestStatements } from '../store/ingest-statements.js';
import { migrateToLatest } from '../store/migrate.js';
import { writeMark } from '../store/rollups.js';
import { sampleRowOf } from '../store/samples.js';

const INTERVAL = 10;

/** `hours` of samples every 10 s up to `end`, for each agent of `bodies` (its first body, sent again); returns the rows written. */
export async function fillRawHistory(path: string, bodies: readonly string[], hours: number, end: number): Promise<number> {
  const firstBodies = new Map<string, { payload: MetricsPayload; text: string }>();
  for (const text of bodies) {
    const payload = JSON.parse(text) as MetricsPayload;
    if (!firstBodies.has(payload.agent_id)) firstBodies.set(payload.agent_id, { payload, text });
  }
  const agents = [...firstBodies.values()];
  const opened = openDatabase(path);
  try {
    await migrateToLatest(opened.db);
    const { insertSample } = prepareIngestStatements(opened.db, opened.sqlite);
    const steps = Math.round((hours * 3600) / INTERVAL);
    opened.sqlite.transaction(() => {
      for (let step = steps; step > 0; step--) {
        const timestamp = end - step * INTERVAL;
        for (const { payload, text } of agents) insertSample.run(sampleRowOf(payload, timestamp, timestamp, text));
      }
    })();
    await writeMark(opened.db, 'rollup300Until', end);
    await writeMark(opened.db, 'rollup3600Until', end);
    opened.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    return steps * agents.length;
  } finally {
    await opened.close();
  }
}
