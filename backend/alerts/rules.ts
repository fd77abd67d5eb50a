// The alert rules of the system we replace, as data: the same texts, severities and thresholds,
// strict comparisons. Each rule reads zero or more instances from a payload (one per disk, sensor,
// interface or process where there are several); the engine decides what fires and what recovers.
import type { MetricsPayload } from '../../shared/payload.js';
import type { Severity } from '../store/schema.js';

/** One thing a rule looked at in one payload. */
export interface RuleInstance {
  /** What the instance is about within the device: a mountpoint, `chip/label`, interface, process; '' for the machine. */
  subject: string;
  value: number;
  /** The limit this instance is judged against (a sensor brings its own). */
  threshold: number;
  firing: boolean;
}

export interface AlertRule {
  id: string;
  /** The alert text; rules about a named thing put its name in the text, as the original does. */
  text: (subject: string) => string;
  severity: Severity;
  /** Human description of the trigger, as in the original's table. */
  trigger: string;
  /** Default threshold; null where each instance carries its own (sensors). */
  threshold: number | null;
  instances: (payload: MetricsPayload, threshold: number | null) => RuleInstance[];
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
}

/** The settings a rules file may change, with the original's behaviour as defaults. */
const judged = { enabled: true, forSeconds: 0, clearBelow: null } as const;

export const RECOVERED_SUFFIX = ' - recovered';

const fixed = (text: string) => () => text;

type Compare = (value: number, threshold: number) => boolean;
const above: Compare = (value, threshold) => value > threshold;
const equal: Compare = (value, threshold) => value === threshold;

/** A rule about one number of the machine; absent number, no instance. */
function machineValue(read: (p: MetricsPayload) => number | undefined, compare: Compare = above) {
  return (payload: MetricsPayload, threshold: number | null): RuleInstance[] => {
    const value = read(payload);
    if (value === undefined || threshold === null) return [];
    return [{ subject: '', value, threshold, firing: compare(value, threshold) }];
  };
}

/** A rule about each item of a list, told apart by a subject. */
function eachItem<T>(
  list: (p: MetricsPayload) => readonly T[] | undefined,
  subject: (item: T, index: number) => string,
  read: (item: T) => number | undefined,
  compare: Compare = above,
) {
  return (payload: MetricsPayload, threshold: number | null): RuleInstance[] => {
    if (threshold === null) return [];
    const out: RuleInstance[] = [];
    (list(payload) ?? []).forEach((item, index) => {
      const value = read(item);
      if (value !== undefined) out.push({ subject: subject(item, index), value, threshold, firing: compare(value, threshold) });
    });
    return out;
  };
}

const interfaceName = (iface: { name?: string | undefined }, index: number) => iface.name ?? `#${index}`;

/** Each sensor against its own `high` limit, or against a threshold a rules file sets for all. */
function sensorInstances(payload: MetricsPayload, threshold: number | null): RuleInstance[] {
  const out: RuleInstance[] = [];
  for (const [chip, sensors] of Object.entries(payload.sensors_temperature ?? {})) {
    sensors.forEach((sensor, index) => {
      const limit = threshold ?? sensor.high;
      // A sensor without a `high` limit cannot be judged by this rule.
      if (limit === undefined || limit === null) return;
      out.push({
        subject: `${chip}/${sensor.label || `#${index}`}`,
        value: sensor.current,
        threshold: limit,
        firing: sensor.current > limit,
      });
    });
  }
  return out;
}

function allInterfacesInactive(payload: MetricsPayload): RuleInstance[] {
  const ifaces = payload.network;
  // With no interface listed there is nothing to call inactive.
  if (!ifaces || ifaces.length === 0) return [];
  const traffic = ifaces.reduce((sum, i) => sum + i.bytes_recv + i.bytes_sent, 0);
  return [{ subject: '', value: traffic, threshold: 0, firing: traffic === 0 }];
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
    trigger: 'cpu.total_percent > 90',
    threshold: 90,
    instances: machineValue((p) => p.cpu?.total_percent),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'memory_high',
    text: fixed('High Memory usage'),
    severity: 'critical',
    trigger: 'memory.percent > 90',
    threshold: 90,
    instances: machineValue((p) => p.memory?.percent),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'swap_high',
    text: fixed('High swap usage'),
    severity: 'warning',
    trigger: 'memory.swap_percent > 50',
    threshold: 50,
    instances: machineValue((p) => p.memory?.swap_percent),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'disk_space_low',
    text: fixed('Low Disk Space'),
    severity: 'critical',
    trigger: 'disks[].percent > 90',
    threshold: 90,
    instances: eachItem((p) => p.disks, (d) => d.mountpoint, (d) => d.percent),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'inode_high',
    text: fixed('High inode usage'),
    severity: 'warning',
    trigger: 'disks[].inode_percent > 90',
    threshold: 90,
    instances: eachItem((p) => p.disks, (d) => d.mountpoint, (d) => d.inode_percent),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'overheat',
    text: fixed('Overheat detected'),
    severity: 'critical',
    trigger: 'sensors_temperature current > high',
    threshold: null,
    instances: sensorInstances,
  },
  {
    ...judged,
    hysteresis: true,
    id: 'time_drift_high',
    text: fixed('High time drift'),
    severity: 'warning',
    trigger: 'abs(time_drift.drift_seconds) > 60',
    threshold: 60,
    instances: machineValue((p) => (p.time_drift ? Math.abs(p.time_drift.drift_seconds) : undefined)),
  },
  {
    ...judged,
    hysteresis: false,
    id: 'network_inactive',
    text: fixed('All network interfaces inactive'),
    severity: 'warning',
    trigger: 'all network[].bytes_recv + bytes_sent == 0',
    threshold: 0,
    instances: allInterfacesInactive,
  },
  {
    ...judged,
    hysteresis: true,
    id: 'network_errors',
    text: fixed('Network interface errors detected'),
    severity: 'warning',
    trigger: 'network[].errin > 100 or errout > 100',
    threshold: 100,
    instances: eachItem(
      (p) => p.network,
      interfaceName,
      (i) => (i.errin === undefined && i.errout === undefined ? undefined : Math.max(i.errin ?? 0, i.errout ?? 0)),
    ),
  },
  {
    ...judged,
    hysteresis: false,
    id: 'custom_alert',
    text: fixed('Custom Alert triggered'),
    severity: 'critical',
    trigger: 'custom_alert == true',
    threshold: 0,
    instances: machineValue((p) => (p.custom_alert === undefined ? undefined : Number(p.custom_alert))),
  },
  {
    ...judged,
    hysteresis: true,
    id: 'zombie_processes',
    text: fixed('Zombie processes detected'),
    severity: 'warning',
    trigger: 'zombie_processes > 0',
    threshold: 0,
    instances: machineValue((p) => p.zombie_processes),
  },
  {
    ...judged,
    hysteresis: false,
    id: 'critical_process_down',
    text: (name) => `Critical process ${name} is not running`,
    severity: 'critical',
    trigger: 'critical_processes[<name>] == false',
    // value 1 = running, 0 = not running
    threshold: 0,
    instances: eachItem(
      (p) => Object.entries(p.critical_processes ?? {}),
      ([name]) => name,
      ([, running]) => Number(running),
      equal,
    ),
  },
  {
    ...judged,
    hysteresis: false,
    id: OFFLINE_RULE_ID,
    text: fixed('Device not reporting'),
    severity: 'critical',
    trigger: 'no sample for max(3 × its interval, 60 s)',
    threshold: 60,
    factor: 3,
    // Fired by the backend's silence check (alerts/offline.ts); any sample that arrives clears it.
    instances: (_payload, threshold) => [{ subject: '', value: 0, threshold: threshold ?? 60, firing: false }],
  },
];
