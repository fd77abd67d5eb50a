// The one place that names the things inside a payload. Alert subjects, history series and the
// device summary use these, so an alert and the series about the same disk, sensor or interface
// read alike.
import type { GpuMetrics, MetricsPayload, NetworkInterfaceMetrics, SensorReading } from '../shared/payload.js';

/** An interface: `name` from fleetmon's agent, `interface` from the original's, else its place in the list. */
export const interfaceName = (iface: Pick<NetworkInterfaceMetrics, 'name' | 'interface'>, index: number): string =>
  iface.name || iface.interface || `#${index}`;

/** A sensor within its chip: its label, or `#index` for a sensor without one (the original sends `""`). */
export const sensorLabel = (sensor: Pick<SensorReading, 'label'>, index: number): string => sensor.label || `#${index}`;

/** A sensor: `chip/label`, or `chip/#index` for a sensor without a label. */
export const sensorName = (chip: string, sensor: Pick<SensorReading, 'label'>, index: number): string =>
  `${chip}/${sensorLabel(sensor, index)}`;

export interface NamedSensor {
  name: string;
  chip: string;
  /** The name within the chip (sensorLabel). */
  label: string;
  reading: SensorReading;
}

/** Every temperature sensor of a payload, named. */
export function sensorsOf(payload: MetricsPayload): NamedSensor[] {
  const out: NamedSensor[] = [];
  for (const [chip, sensors] of Object.entries(payload.sensors_temperature ?? {})) {
    sensors.forEach((reading, index) => out.push({ name: sensorName(chip, reading, index), chip, label: sensorLabel(reading, index), reading }));
  }
  return out;
}

/** A GPU: its `index` (fleetmon's agent) or `id` (the original's), else its place in the list. */
export function gpuName(gpu: GpuMetrics, position: number): string {
  const id = gpu.index ?? gpu['id'];
  return typeof id === 'number' || typeof id === 'string' ? String(id) : String(position);
}
