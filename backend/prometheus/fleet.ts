// The fleet in Prometheus' terms: the latest values of every device, one series per device and
// subject, named in node_exporter's style (ratios 0-1, bytes, seconds, celsius). Pure: rows in,
// text out. Subjects are named by backend/subjects.ts, as alerts and history name them.
import type { MetricsPayload } from '../../shared/payload.js';
import type { AlertRule } from '../alerts/rules.js';
import { isOffline } from '../devices/summary.js';
import type { OpenProblem } from '../store/alerts.js';
import type { DeviceWithLatest } from '../store/devices.js';
import { readStoredPayload } from '../store/samples.js';
import { gpuName, interfaceName, sensorsOf } from '../subjects.js';
import { ExpositionWriter, type MetricFamily, type SeriesSink } from './exposition.js';

const gauge = (name: string, help: string): MetricFamily => ({ name: `fleetmon_${name}`, help, type: 'gauge' });

const AS_REPORTED =
  'as the agent reports it: bytes in the last interval from fleetmon\'s agent (see fleetmon_device_interval_seconds), since boot from the original\'s agent; a gauge, not a counter, since it is not always one';

export const FAMILIES = {
  up: gauge('device_up', '1 while the device reports, 0 once it is silent past its offline limit (the device_offline rule).'),
  lastSample: gauge('device_last_sample_timestamp_seconds', 'When the device\'s latest sample was measured, Unix seconds (receive time minus the agent\'s age_seconds).'),
  interval: gauge('device_interval_seconds', 'The device\'s reporting interval: declared by its agent, else estimated from the gaps between samples.'),
  cpu: gauge('cpu_usage_ratio', 'CPU busy, 0-1, over the agent\'s last measurement.'),
  load1: gauge('load1', '1-minute load average.'),
  load5: gauge('load5', '5-minute load average.'),
  load15: gauge('load15', '15-minute load average.'),
  memory: gauge('memory_used_ratio', 'Memory in use, 0-1.'),
  memoryTotal: gauge('memory_total_bytes', 'Memory of the machine.'),
  memoryAvailable: gauge('memory_available_bytes', 'Memory available to programs.'),
  swap: gauge('swap_used_ratio', 'Swap in use, 0-1.'),
  filesystem: gauge('filesystem_used_ratio', 'Share of the filesystem\'s space in use, 0-1.'),
  filesystemSize: gauge('filesystem_size_bytes', 'Size of the filesystem.'),
  inodes: gauge('filesystem_inodes_used_ratio', 'Share of the filesystem\'s inodes in use, 0-1.'),
  temperature: gauge('temperature_celsius', 'Temperature sensor reading.'),
  temperatureHigh: gauge('temperature_high_celsius', 'The sensor\'s own high limit, where it reports one.'),
  temperatureCritical: gauge('temperature_critical_celsius', 'The sensor\'s own critical limit, where it reports one.'),
  receiveBytes: gauge('network_receive_bytes', `Bytes received, ${AS_REPORTED}.`),
  transmitBytes: gauge('network_transmit_bytes', `Bytes sent, ${AS_REPORTED}.`),
  receiveErrors: gauge('network_receive_errors', `Receive errors, ${AS_REPORTED}.`),
  transmitErrors: gauge('network_transmit_errors', `Transmit errors, ${AS_REPORTED}.`),
  receiveDrops: gauge('network_receive_drop', `Received packets dropped, ${AS_REPORTED}.`),
  transmitDrops: gauge('network_transmit_drop', `Outgoing packets dropped, ${AS_REPORTED}.`),
  gpuUtilization: gauge('gpu_utilization_ratio', 'GPU busy, 0-1.'),
  gpuMemoryUsed: gauge('gpu_memory_used_bytes', 'GPU memory in use (the agent reports MiB).'),
  gpuMemoryTotal: gauge('gpu_memory_total_bytes', 'GPU memory (the agent reports MiB).'),
  gpuTemperature: gauge('gpu_temperature_celsius', 'GPU temperature.'),
  zombies: gauge('zombie_processes', 'Zombie processes on the machine.'),
  drift: gauge('clock_drift_seconds', 'How far the machine\'s clock is off its reference, as its agent measured it.'),
  uptime: gauge('uptime_seconds', 'Time since the machine booted.'),
  customAlert: gauge('custom_alert', '1 while the agent raises its custom alert, 0 when it reports none.'),
  criticalProcess: gauge('critical_process_up', '1 while the watched process runs, 0 when it does not.'),
  alert: gauge('alert_active', 'An open problem: 1 for each alert fired and not yet recovered.'),
} as const;

/** A percent as a ratio, without the float noise of the division (33.3 -> 0.333, not 0.33299999999999996). */
const ratio = (percent: number | null | undefined): number | null | undefined => (percent == null ? percent : Number((percent / 100).toPrecision(12)));
const MIB = 1024 * 1024;
const mib = (value: number | null | undefined): number | null | undefined => (value == null ? value : value * MIB);
const flag = (value: boolean | null | undefined): number | null => (value == null ? null : value ? 1 : 0);

export interface FleetExpositionOptions {
  /** Put each sample's own time on the series read from it (not on device_up or alert_active). */
  sampleTimestamps?: boolean;
}

/**
 * True the first time a subject is seen in one payload. Two sensors or disks of one sample with
 * the same name (two sockets' `coretemp` both saying `Core 0`) would be the same series twice,
 * which the format forbids and Prometheus drops; the first one is kept.
 */
function firstSeen(): (key: string) => boolean {
  const seen = new Set<string>();
  return (key) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}

function writeSample(out: SeriesSink, device: string, p: MetricsPayload, ts: number | undefined): void {
  const d = { device };
  const f = FAMILIES;
  out.add(f.cpu, d, ratio(p.cpu?.total_percent), ts);
  const load = p.cpu?.load_average ?? p.cpu?.load_avg;
  out.add(f.load1, d, load?.[0], ts);
  out.add(f.load5, d, load?.[1], ts);
  out.add(f.load15, d, load?.[2], ts);
  out.add(f.memory, d, ratio(p.memory?.percent), ts);
  out.add(f.memoryTotal, d, p.memory?.total, ts);
  out.add(f.memoryAvailable, d, p.memory?.available, ts);
  out.add(f.swap, d, ratio(p.memory?.swap_percent), ts);
  const newDisk = firstSeen();
  for (const disk of p.disks ?? []) {
    if (!newDisk(disk.mountpoint)) continue;
    const labels = { device, mountpoint: disk.mountpoint };
    out.add(f.filesystem, labels, ratio(disk.percent), ts);
    out.add(f.filesystemSize, labels, disk.total_bytes ?? disk.total, ts);
    out.add(f.inodes, labels, ratio(disk.inode_percent), ts);
  }
  const newSensor = firstSeen();
  for (const sensor of sensorsOf(p)) {
    if (!newSensor(sensor.name)) continue;
    const labels = { device, chip: sensor.chip, sensor: sensor.label };
    out.add(f.temperature, labels, sensor.reading.current, ts);
    out.add(f.temperatureHigh, labels, sensor.reading.high, ts);
    out.add(f.temperatureCritical, labels, sensor.reading.critical, ts);
  }
  const newInterface = firstSeen();
  (p.network ?? []).forEach((iface, index) => {
    const labels = { device, interface: interfaceName(iface, index) };
    if (!newInterface(labels.interface)) return;
    out.add(f.receiveBytes, labels, iface.bytes_recv, ts);
    out.add(f.transmitBytes, labels, iface.bytes_sent, ts);
    out.add(f.receiveErrors, labels, iface.errin, ts);
    out.add(f.transmitErrors, labels, iface.errout, ts);
    out.add(f.receiveDrops, labels, iface.dropin, ts);
    out.add(f.transmitDrops, labels, iface.dropout, ts);
  });
  const newGpu = firstSeen();
  (p.gpus ?? []).forEach((gpu, position) => {
    const labels = { device, gpu: gpuName(gpu, position) };
    if (!newGpu(labels.gpu)) return;
    out.add(f.gpuUtilization, labels, ratio(gpu.utilization_percent), ts);
    out.add(f.gpuMemoryUsed, labels, mib(gpu.memory_used_mb), ts);
    out.add(f.gpuMemoryTotal, labels, mib(gpu.memory_total_mb), ts);
    out.add(f.gpuTemperature, labels, gpu.temperature_C, ts);
  });
  out.add(f.zombies, d, p.zombie_processes, ts);
  out.add(f.drift, d, p.time_drift?.drift_seconds, ts);
  out.add(f.uptime, d, p.uptime_sec, ts);
  out.add(f.customAlert, d, flag(p.custom_alert), ts);
  for (const [process, running] of Object.entries(p.critical_processes ?? {})) {
    out.add(f.criticalProcess, { device, process }, flag(running), ts);
  }
}

/**
 * The exposition text for every device. `rulesFor` gives a device's rules (its offline limit);
 * `now` is Unix seconds. Values not measured (null or absent) produce no series.
 */
export function renderFleet(
  devices: readonly DeviceWithLatest[],
  problems: readonly OpenProblem[],
  rulesFor: (deviceId: string) => readonly AlertRule[],
  now: number,
  options: FleetExpositionOptions = {},
): string {
  const out = new ExpositionWriter();
  writeFleet(out, devices, problems, rulesFor, now, options);
  return out.text();
}

/** The fleet's series into any sink (the benchmark compares prom-client's registry with ours). */
export function writeFleet(
  out: SeriesSink,
  devices: readonly DeviceWithLatest[],
  problems: readonly OpenProblem[],
  rulesFor: (deviceId: string) => readonly AlertRule[],
  now: number,
  options: FleetExpositionOptions = {},
): void {
  for (const device of devices) {
    const d = { device: device.id };
    out.add(FAMILIES.up, d, isOffline(device, rulesFor(device.id), now) ? 0 : 1);
    out.add(FAMILIES.lastSample, d, device.latest_timestamp);
    out.add(FAMILIES.interval, d, device.interval_seconds);
    if (device.latest_payload === null || device.latest_timestamp === null) continue;
    const ts = options.sampleTimestamps ? device.latest_timestamp * 1000 : undefined;
    writeSample(out, device.id, readStoredPayload(device.latest_payload), ts);
  }
  for (const problem of problems) {
    out.add(FAMILIES.alert, { device: problem.device_id, rule: problem.rule, subject: problem.subject, severity: problem.severity }, 1);
  }
}
