// What GET /devices says about a device: status and the headline values of its latest sample.
import type { SampleEvent } from '../../shared/events.js';
import type { MetricsPayload } from '../../shared/payload.js';
import { isSilent } from '../alerts/offline.js';
import { type AlertRule, OFFLINE_RULE_ID, silenceLimit } from '../alerts/rules.js';
import type { DeviceWithLatest } from '../store/devices.js';
import { readStoredPayload } from '../store/samples.js';
import { sensorsOf } from '../subjects.js';

/** The headline values of a sample: what GET /devices shows under `latest`, and GET /events streams. */
export type Headline = Omit<SampleEvent, 'type' | 'device'>;

export function headlineOf(payload: MetricsPayload, timestamp: number): Headline {
  // Readings that were not measured (null) take no part.
  let fullest: Headline['fullest_disk'] = null;
  for (const { mountpoint, percent } of payload.disks ?? []) {
    if (percent != null && (fullest === null || percent > fullest.percent)) fullest = { mountpoint, percent };
  }
  let hottest: Headline['hottest_sensor'] = null;
  for (const { name, reading } of sensorsOf(payload)) {
    const current = reading.current;
    if (current != null && (hottest === null || current > hottest.current)) hottest = { sensor: name, current };
  }
  let busiest: Headline['busiest_gpu'] = null;
  for (const [i, gpu] of (payload.gpus ?? []).entries()) {
    const utilization = gpu.utilization_percent ?? null;
    if (busiest === null || (utilization ?? -1) > (busiest.utilization_percent ?? -1)) {
      busiest = { name: gpu.name ?? `#${gpu.index ?? i}`, utilization_percent: utilization, temperature_c: gpu.temperature_C ?? null };
    }
  }
  return {
    timestamp,
    cpu_percent: payload.cpu?.total_percent ?? null,
    memory_percent: payload.memory?.percent ?? null,
    swap_percent: payload.memory?.swap_percent ?? null,
    fullest_disk: fullest,
    hottest_sensor: hottest,
    busiest_gpu: busiest,
  };
}

/** Offline when silent past the limit of its `device_offline` rule; without that rule, never. */
export function isOffline(device: Pick<DeviceWithLatest, 'last_seen' | 'interval_seconds'>, rules: readonly AlertRule[], now: number): boolean {
  const offlineRule = rules.find((r) => r.id === OFFLINE_RULE_ID);
  return offlineRule !== undefined && isSilent(device.last_seen, device.interval_seconds, offlineRule, now);
}

export function deviceSummary(device: DeviceWithLatest, rules: readonly AlertRule[], now: number) {
  const offlineRule = rules.find((r) => r.id === OFFLINE_RULE_ID);
  const payload = device.latest_payload === null ? undefined : readStoredPayload(device.latest_payload);
  return {
    id: device.id,
    status: isOffline(device, rules, now) ? 'offline' : 'online',
    first_seen: device.first_seen,
    last_seen: device.last_seen,
    interval_seconds: device.interval_seconds,
    offline_after_seconds: offlineRule ? silenceLimit(offlineRule, device.interval_seconds) : null,
    active_alerts: device.active_alerts,
    host: payload?.host ?? null,
    latest: payload && device.latest_timestamp !== null ? headlineOf(payload, device.latest_timestamp) : null,
  };
}
