// Accepting one sample: store it, move the device on, run the alert engine and record what it
// decided, all in one transaction, so a sample is never stored without its alerts or vice versa.
import type { MetricsPayload } from '../shared/payload.js';
import { evaluateRules, type Transition } from './alerts/engine.js';
import type { AlertRule } from './alerts/rules.js';
import { activeAlertsOf, closeAlertState, insertAlert, openAlertState } from './store/alerts.js';
import type { Db } from './store/db.js';
import { recordDeviceSeen } from './store/devices.js';
import { insertSample } from './store/samples.js';

export interface IngestResult {
  sampleId: number;
  timestamp: number;
  transitions: Transition[];
}

export async function recordSample(
  db: Db,
  payload: MetricsPayload,
  receivedAt: number,
  rules: readonly AlertRule[],
): Promise<IngestResult> {
  const timestamp = receivedAt;
  return db.transaction().execute(async (trx) => {
    const sampleId = await insertSample(trx, payload, timestamp, receivedAt);
    await recordDeviceSeen(trx, payload.agent_id, timestamp, sampleId);
    const transitions = evaluateRules(await activeAlertsOf(trx, payload.agent_id), payload, rules);
    for (const t of transitions) {
      const alertId = await insertAlert(trx, {
        device_id: payload.agent_id,
        timestamp,
        alert: t.alert,
        severity: t.severity,
        kind: t.kind,
        rule: t.rule,
        subject: t.subject,
        value: t.value,
        threshold: t.threshold,
        sample_id: sampleId,
      });
      if (t.kind === 'fired') {
        await openAlertState(trx, {
          device_id: payload.agent_id,
          rule: t.rule,
          subject: t.subject,
          since: timestamp,
          alert_id: alertId,
          value: t.value,
          threshold: t.threshold,
        });
      } else {
        await closeAlertState(trx, payload.agent_id, t.rule, t.subject);
      }
    }
    return { sampleId, timestamp, transitions };
  });
}
