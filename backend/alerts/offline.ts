// Silent devices: pure decisions for the backend's silence check. A device that has not reported
// for longer than max(factor × its interval, the rule's threshold) gets `Device not reporting`.
import { firedTransition, type Transition } from './engine.js';
import { type AlertRule, silenceLimit } from './rules.js';

export interface DeviceSilence {
  deviceId: string;
  lastSeen: number;
  intervalSeconds: number | null;
  /** Whether `Device not reporting` is already open for it. */
  offlineOpen: boolean;
}

export function evaluateSilence(device: DeviceSilence, rule: AlertRule, now: number): Transition | null {
  if (!rule.enabled || device.offlineOpen) return null;
  const limit = silenceLimit(rule, device.intervalSeconds);
  const silent = now - device.lastSeen;
  return silent > limit ? firedTransition(rule, '', silent, limit, now) : null;
}

/** Whether a device counts as offline right now (for GET /devices), by the same limit. */
export function isSilent(lastSeen: number, intervalSeconds: number | null, rule: AlertRule, now: number): boolean {
  return now - lastSeen > silenceLimit(rule, intervalSeconds);
}

/**
 * A device's reporting interval: what its agent declares, else a moving average of the gaps
 * between its samples, ignoring gaps so long they are outages rather than its rhythm.
 */
export function nextIntervalEstimate(previous: number | null, gapSeconds: number | null, declared: number | undefined): number | null {
  if (declared !== undefined) return declared;
  if (gapSeconds === null || gapSeconds <= 0) return previous;
  if (previous === null) return gapSeconds;
  if (gapSeconds > previous * 10) return previous;
  return previous * 0.8 + gapSeconds * 0.2;
}
