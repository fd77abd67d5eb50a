// The silence check: run on a timer inside the backend (and once at start, judging from the stored
// last_seen, so a device that died while the backend was down is reported).
import { evaluateSilence } from './alerts/offline.js';
import type { RuleSet } from './alerts/rule-set.js';
import { OFFLINE_RULE_ID } from './alerts/rules.js';
import { alertStateOf, applyEvaluation } from './store/alerts.js';
import type { Db } from './store/db.js';
import { devicesWithoutOpenAlert, findDevice } from './store/devices.js';
import { enqueueNotifications } from './store/notifications.js';
import { type NotifyConfig, noNotifications } from './notify/config.js';
import { writeTransaction } from './store/write-transaction.js';
import type { Transition } from './alerts/engine.js';
import type { EventBus } from './events.js';

/**
 * Fire `Device not reporting` for every device silent past its limit; returns their ids.
 * `forgetCached` is told of each device whose alert state it writes, inside the transaction.
 */
export async function checkSilentDevices(
  db: Db,
  rules: RuleSet,
  now: number,
  notify: NotifyConfig = noNotifications(),
  events?: EventBus,
  forgetCached: (deviceId: string) => void = () => {},
): Promise<string[]> {
  // Each device has its own limit (interval, overrides), so every device not yet offline is judged.
  const candidates = await devicesWithoutOpenAlert(db, OFFLINE_RULE_ID);
  const fired: string[] = [];
  for (const candidate of candidates) {
    const rule = rules.forDevice(candidate.id).find((r) => r.id === OFFLINE_RULE_ID);
    if (!rule) continue;
    const silence = { deviceId: candidate.id, lastSeen: candidate.last_seen, intervalSeconds: candidate.interval_seconds, offlineOpen: false };
    // Most devices are fine: only those silent by the list read get a transaction.
    if (!evaluateSilence(silence, rule, now)) continue;
    const offline = await writeTransaction(db, async (trx): Promise<Transition | null> => {
      // Judged again inside the transaction: a sample may have arrived since the list was read.
      const device = await findDevice(trx, candidate.id);
      if (!device) return null;
      const offlineOpen = (await alertStateOf(trx, device.id)).active.some((a) => a.rule === OFFLINE_RULE_ID);
      const transition = evaluateSilence({ deviceId: device.id, lastSeen: device.last_seen, intervalSeconds: device.interval_seconds, offlineOpen }, rule, now);
      if (!transition) return null;
      forgetCached(device.id);
      const stored = await applyEvaluation(trx, device.id, { transitions: [transition], pendingStarted: [], pendingEnded: [] }, now, null);
      await enqueueNotifications(trx, device.id, stored, now, notify);
      return transition;
    });
    if (offline) {
      fired.push(candidate.id);
      // After the commit: subscribers never hear of an alert that was rolled back.
      events?.publishTransitions(candidate.id, [offline], now);
    }
  }
  return fired;
}
