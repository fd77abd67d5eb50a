// Storing samples on SQLite: the work of backend/ingest.ts's Kysely path (recordSampleIn), the same
// rows in the same order, as prepared statements run synchronously one batch at a time, with the
// device and alert state it needs read from memory (backend/ingest-cache.ts). Only a sample whose
// alerts owe notifications leaves the synchronous path, for the outbox's Kysely queries.
import type SQLite from 'better-sqlite3';
import { evaluateRules, type Evaluation } from './alerts/engine.js';
import { nextIntervalEstimate } from './alerts/offline.js';
import type { RuleSet } from './alerts/rule-set.js';
import type { IngestCache } from './ingest-cache.js';
import type { IngestResult, IncomingSample, SampleWriter } from './ingest.js';
import type { NotifyConfig } from './notify/config.js';
import { type StoredTransition, alertRowOf, problemOf } from './store/alerts.js';
import type { Db } from './store/db.js';
import { type ActiveRow, type IngestStatements, prepareIngestStatements } from './store/ingest-statements.js';
import { enqueueNotifications } from './store/notifications.js';
import { sampleRowOf } from './store/samples.js';
import { findInBlocks, hoursAround, mayRepeatPackedSample } from './store/sample-blocks.js';
import { type WriteOptions, writeTransaction } from './store/write-transaction.js';

const id = (info: SQLite.RunResult): number => Number(info.lastInsertRowid);

/** What one transaction knows beyond the cache: the rollup watermark, read once (only maintenance moves it). */
interface Batch {
  watermark: number | null | undefined;
}

export function sqliteSampleWriter(db: Db, sqlite: SQLite.Database, cache: IngestCache, rules: RuleSet, options: WriteOptions, notify: NotifyConfig): SampleWriter {
  const st = prepareIngestStatements(db, sqlite);

  function recordSampleNow(batch: Batch, sample: IncomingSample): { result: IngestResult; stored: StoredTransition[] } {
    const { payload, receivedAt } = sample;
    const deviceId = payload.agent_id;
    const timestamp = receivedAt - (payload.age_seconds ?? 0);
    if (payload.sample_id !== undefined) {
      const stored =
        st.sampleByAgentId.get({ device_id: deviceId, sample_id: payload.sample_id }) ??
        // A retry of a sample whose hour was packed since (an agent replaying an old spool).
        (mayRepeatPackedSample(timestamp, receivedAt)
          ? findInBlocks(st.blocksAround.all({ device_id: deviceId, ...hoursAround(timestamp) }), payload.sample_id)
          : undefined);
      if (stored) return { result: { sampleId: stored.id, timestamp: stored.timestamp, outcome: 'duplicate', transitions: [] }, stored: [] };
    }
    const sampleId = id(st.insertSample.run(sampleRowOf(payload, timestamp, receivedAt, sample.payloadText)));
    const device = cache.device(deviceId, () => {
      const row = st.device.get({ id: deviceId });
      return row ? { lastSeen: row.last_seen, intervalSeconds: row.interval_seconds } : null;
    });
    const late = device !== null && timestamp < device.lastSeen;
    if (late) {
      st.earlierSample.run({ id: deviceId, measured_at: timestamp });
    } else {
      const interval = nextIntervalEstimate(device?.intervalSeconds ?? null, device ? timestamp - device.lastSeen : null, payload.interval_seconds);
      st.deviceSeen.run({ id: deviceId, seen_at: timestamp, sample_id: sampleId, interval_seconds: interval });
      cache.setDevice(deviceId, { lastSeen: timestamp, intervalSeconds: interval });
    }
    if (batch.watermark === undefined) batch.watermark = st.rollupWatermark.get({})?.value ?? null;
    if (batch.watermark !== null && timestamp < batch.watermark) st.markRollupDirty.run({ id: deviceId, timestamp });
    if (late) return { result: { sampleId, timestamp, outcome: 'late', transitions: [] }, stored: [] };
    const state = cache.alertState(deviceId, () => ({ active: st.activeAlerts.all({ device_id: deviceId }), pending: st.pendingAlerts.all({ device_id: deviceId }) }));
    const evaluation = evaluateRules(state, payload, rules.forDevice(deviceId), timestamp);
    const stored = applyEvaluationNow(st, deviceId, state.active, evaluation, timestamp, sampleId);
    if (evaluation.pendingEnded.length + evaluation.pendingStarted.length + evaluation.transitions.length > 0) cache.alertStateChanged(deviceId);
    return { result: { sampleId, timestamp, outcome: 'new', transitions: evaluation.transitions }, stored };
  }

  return {
    async writeBatch(samples) {
      try {
        return await writeTransaction(
          db,
          async (trx) => {
            cache.catchUp();
            const batch: Batch = { watermark: undefined };
            const results: IngestResult[] = [];
            for (const sample of samples) {
              const { result, stored } = recordSampleNow(batch, sample);
              // In the same transaction, before the next sample, as on the Kysely path.
              if (stored.length > 0 && notify.routes.length > 0) await enqueueNotifications(trx, sample.payload.agent_id, stored, sample.receivedAt, notify);
              results.push(result);
            }
            return results;
          },
          options,
        );
      } catch (err) {
        cache.clear();
        throw err;
      }
    },
  };
}

/** store/alerts.ts's applyEvaluation, with the opened problem of a recovery taken from the cached state. */
function applyEvaluationNow(
  st: IngestStatements,
  deviceId: string,
  active: readonly ActiveRow[],
  evaluation: Evaluation,
  timestamp: number,
  sampleId: number,
): StoredTransition[] {
  for (const p of evaluation.pendingEnded) st.deletePending.run({ device_id: deviceId, rule: p.rule, subject: p.subject });
  for (const p of evaluation.pendingStarted) st.insertPending.run({ device_id: deviceId, rule: p.rule, subject: p.subject, since: p.since });
  const stored: StoredTransition[] = [];
  for (const t of evaluation.transitions) {
    const opened = t.kind === 'recovered' ? active.find((a) => a.rule === t.rule && a.subject === t.subject) : undefined;
    const alertId = id(st.insertAlert.run(alertRowOf(deviceId, t, timestamp, sampleId)));
    const key = { device_id: deviceId, rule: t.rule, subject: t.subject };
    if (t.kind === 'fired') st.insertActive.run({ ...key, since: t.since ?? timestamp, alert_id: alertId, value: t.value, threshold: t.threshold });
    else st.deleteActive.run(key);
    const problem = problemOf(t, alertId, timestamp, opened && { id: opened.alert_id, alert: opened.alert, severity: opened.severity, since: opened.since });
    if (problem) stored.push({ transition: t, alertId, problem });
  }
  return stored;
}
