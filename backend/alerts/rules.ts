// The alert rules of the system we replace, as data: the same texts, severities and thresholds,
// strict comparisons. Each rule reads zero or more instances from a payload (one per disk, sensor,
// interface or process where there are several); the engine decides what fires and what recovers.
import type { MetricsPayload, NetworkInterfaceMetrics } from '../../shared/payload.js';
import { interfaceName, sensorsOf } from '../subjects.js';
import type { Severity } from '../store/schema.js';

/** One thing a rule looked at in one payload. */
export interface RuleInstance {
  /** What the instance is about within the device: a mountpoint, `chip/label`, interface, process; '' for the machine. */
  subject: string;
  /** null: the subject is listed but its value was not measured; what it had open stays open. */
  value: number | null;
  /** The limit this instance is judged against (a sensor brings its own). */
  threshold: number;
  firing: boolean;
}

/**
 * What a rule read from one payload. `measured` is false when the field the rule reads was absent or
 * null: nothing was looked at, so every problem the rule had open for the device stays open. When it
 * is true, a subject missing from `instances` has left the list (a disk unmounted) and recovers.
 */
export interface RuleReading {
  measured: boolean;
  instances: RuleInstance[];
}

export interface AlertRule {
  id: string;
  /** The alert text; rules about a named thing put its name in the text, as the original does. */
  text: (subject: string) => string;
  severity: Severity;
  /** Human description of the trigger with the limits in force, as in the original's table. */
  trigger: (rule: AlertRule) => string;
  /** Default threshold; null where each instance carries its own (sensors). */
  threshold: number | null;
  read: (payload: MetricsPayload, rule: AlertRule) => RuleReading;
  /** Whether a rules file may set `clear_below` (rules that fire when a number goes above a limit). */
  hysteresis: boolean;
  /** A disabled rule fires nothing, and what it had open recovers. */
  enabled: boolean;
  /** How long the condition must hold before the alert fires (Prometheus' `for:`); 0 fires at once. */
  forSeconds: number;
  /** Hysteresis: once fired, recover only when the value is at or below this; null = the threshold. */
  clearBelow: number | null;
  /** Only for device_offline: silent for longer than factor × the device's interval (and the threshold). */
  factor?: number;
  /** Only for overheat: the limit of a sensor that reports no `high` (the original's 80 °C). */
  defaultHigh?: number;
}

/** The settings a rules file may change, with the original's behaviour as defaults. */
const judged = { enabled: true, forSeconds: 0, clearBelow: null } as const;

export const RECOVERED_SUFFIX = ' - recovered';

/** The original's limit for a sensor without a `high` of its own. */
export const DEFAULT_SENSOR_HIGH_CELSIUS = 80;

const fixed = (text: string) => () => text;

type Compare = (value: number, threshold: number) => boolean;
const above: Compare = (value, threshold) => value > threshold;
const equal: Compare = (value, threshold) => value === threshold;

const NOT_MEASURED: RuleReading = { measured: false, instances: [] };

type Reading = number | null | undefined;

function instance(subject: string, value: Reading, threshold: number, compare: Compare): RuleInstance {
  const known = value ?? null;
  return { subject, value: known, threshold, firing: known !== null && compare(known, threshold) };
}

/** A rule about one number of the machine; an absent or null number is not measured. */
function machineValue(read: (p: MetricsPayload) => Reading, compare: Compare = above) {
  return (payload: MetricsPayload, rule: AlertRule): RuleReading => {
    const value = read(payload);
    if (value === undefined || value === null || rule.threshold === null) return NOT_MEASURED;
    return { measured: true, instances: [instance('', value, rule.threshold, compare)] };
  };
}

/** A rule about each item of a list, told apart by a subject; an absent or null list is not measured. */
function eachItem<T>(
  list: (p: MetricsPayload) => readonly T[] | null | undefined,
  subject: (item: T, index: number) => string,
  read: (item: T) => Reading,
  compare: Compare = above,
) {
  return (payload: MetricsPayload, rule: AlertRule): RuleReading => {
    const items = list(payload);
    const threshold = rule.threshold;
    if (items === undefined || items === null || threshold === null) return NOT_MEASURED;
    return { measured: true, instances: items.map((item, index) => instance(subject(item, index), read(item), threshold, compare)) };
  };
}

/**
 * Each sensor against a threshold a rules file sets for all, else its own `high`, else the rule's
 * default_high (the original judges a sensor without `high` against 80 °C).
 */
function sensorReadings(payload: MetricsPayload, rule: AlertRule): RuleReading {
  if (payload.sensors_temperature === undefined || payload.sensors_temperature === null) return NOT_MEASURED;
  const instances = sensorsOf(payload).map(({ name, reading }) => {
    const limit = rule.threshold ?? reading.high ?? rule.defaultHigh ?? DEFAULT_SENSOR_HIGH_CELSIUS;
    return instance(name, reading.current, limit, above);
  });
  return { measured: true, instances };
}

/** Traffic over all interfaces; unknown when none moved bytes and some were not measured. */
function allInterfacesInactive(payload: MetricsPayload): RuleReading {
  const ifaces = payload.network;
  if (ifaces === undefined || ifaces === null) return NOT_MEASURED;
  // With no interface listed there is nothing to call inactive.
  if (ifaces.length === 0) return { measured: true, instances: [] };
  let traffic = 0;
  let unknown = false;
  for (const i of ifaces) {
    if (i.bytes_recv == null || i.bytes_sent == null) unknown = true;
    traffic += (i.bytes_recv ?? 0) + (i.bytes_sent ?? 0);
  }
  return { measured: true, instances: [instance('', traffic === 0 && unknown ? null : traffic, 0, equal)] };
}

/** The larger of an interface's error counts; null when neither was measured. */
function interfaceErrors(i: NetworkInterfaceMetrics): Reading {
  if (i.errin == null && i.errout == null) return null;
  return Math.max(i.errin ?? 0, i.errout ?? 0);
}

/** Seconds a device may stay silent before `Device not reporting`: max(factor × interval, threshold). */
export function silenceLimit(rule: Pick<AlertRule, 'threshold' | 'factor'>, intervalSeconds: number | null): number {
  const minimum = rule.threshold ?? 60;
  return intervalSeconds === null ? minimum : Math.max((rule.factor ?? 3) * intervalSeconds, minimum);
}

export const OFFLINE_RULE_ID = 'device_offline';

export const DEFAULT_RULES: readonly AlertRule[] = [
  {
    ...judged,
    hysteresis: true,
    id: 'cpu_high',
    text: fixed('High CPU usage'),
    severity: 'critical',
    trigger: (r) => `cpu.total_percent > ${r.threshold}`,
    threshold: 90,
    read: machineValue((p) => p.cpu?.total_percent),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'memory_high',
    text: fixed('High Memory usage'),
    severity: 'critical',
    trigger: (r) => `memory.percent > ${r.threshold}`,
    threshold: 90,
    read: machineValue((p) => p.memory?.percent),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'swap_high',
    text: fixed('High swap usage'),
    severity: 'warning',
    trigger: (r) => `memory.swap_percent > ${r.threshold}`,
    threshold: 50,
    read: machineValue((p) => p.memory?.swap_percent),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'disk_space_low',
    text: fixed('Low Disk Space'),
    severity: 'critical',
    trigger: (r) => `disks[].percent > ${r.threshold}`,
    threshold: 90,
    read: eachItem((p) => p.disks, (d) => d.mountpoint, (d) => d.percent),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'inode_high',
    text: fixed('High inode usage'),
    severity: 'warning',
    trigger: (r) => `disks[].inode_percent > ${r.threshold}`,
    threshold: 90,
    read: eachItem((p) => p.disks, (d) => d.mountpoint, (d) => d.inode_percent),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'overheat',
    text: fixed('Overheat detected'),
    severity: 'critical',
    trigger: (r) =>
      r.threshold === null
        ? `sensors_temperature current > high (${r.defaultHigh ?? DEFAULT_SENSOR_HIGH_CELSIUS} for a sensor without high)`
        : `sensors_temperature current > ${r.threshold}`,
    threshold: null,
    defaultHigh: DEFAULT_SENSOR_HIGH_CELSIUS,
    read: sensorReadings,
  },
  {
    ...judged,
    hysteresis: true,
    id: 'time_drift_high',
    text: fixed('High time drift'),
    severity: 'warning',
    trigger: (r) => `abs(time_drift.drift_seconds) > ${r.threshold}`,
    threshold: 60,
    read: machineValue((p) => {
      const drift = p.time_drift?.drift_seconds;
      return drift === undefined || drift === null ? drift : Math.abs(drift);
    }),
  },
  {
    ...judged,
    hysteresis: false,
    id: 'network_inactive',
    text: fixed('All network interfaces inactive'),
    severity: 'warning',
    trigger: () => 'all network[].bytes_recv + bytes_sent == 0',
    threshold: 0,
    read: allInterfacesInactive,
  },
  {
    ...judged,
    hysteresis: true,
    id: 'network_errors',
    text: fixed('Network interface errors detected'),
    severity: 'warning',
    trigger: (r) => `network[].errin > ${r.threshold} or errout > ${r.threshold}`,
    threshold: 100,
    read: eachItem(
      (p) => p.network,
      interfaceName,
      interfaceErrors,
    ),
  },
  {
    ...judged,
    hysteresis: false,
    id: 'custom_alert',
    text: fixed('Custom Alert triggered'),
    severity: 'critical',
    trigger: () => 'custom_alert == true',
    threshold: 0,
    read: machineValue((p) => (p.custom_alert === undefined || p.custom_alert === null ? p.custom_alert : Number(p.custom_alert))),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'zombie_processes',
    text: fixed('Zombie processes detected'),
    severity: 'warning',
    trigger: (r) => `zombie_processes > ${r.threshold}`,
    threshold: 0,
    read: machineValue((p) => p.zombie_processes),
  },
  {
    ...judged,
    hysteresis: false,
    id: 'critical_process_down',
    text: (name) => `Critical process ${name} is not running`,
    severity: 'critical',
    trigger: () => 'critical_processes[<name>] == false',
    // value 1 = running, 0 = not running
    threshold: 0,
    read: eachItem(
      (p) => (p.critical_processes ? Object.entries(p.critical_processes) : undefined),
      ([name]) => name,
      ([, running]) => (running === undefined || running === null ? running : Number(running)),
      equal,
    ),
  },
  {
    ...judged,
    hysteresis: false,
    id: OFFLINE_RULE_ID,
    text: fixed('Device not reporting'),
    severity: 'critical',
    trigger: (r) => `no sample for max(${r.factor ?? 3} × its interval, ${r.threshold} s)`,
    threshold: 60,
    factor: 3,
    // Fired by the backend's silence check (alerts/offline.ts); any sample that arrives clears it.
    read: (_payload, r) => ({ measured: true, instances: [{ subject: '', value: 0, threshold: r.threshold ?? 60, firing: false }] }),
  },
];
