// The headline numbers of a sample as named series: what rollups keep and history serves.
// Names follow the alert subjects (backend/subjects.ts), so a series and the alerts about the same
// thing read alike.
import type { GpuMetrics, MetricsPayload } from '../../shared/payload.js';
import { gpuName, interfaceName, sensorsOf } from '../subjects.js';

/** The first part of every series name; `fields=` filters on these or on full names. */
export const SERIES_KINDS = ['cpu', 'memory', 'swap', 'disk', 'sensor', 'net', 'gpu'] as const;

const NETWORK_COUNTERS = ['bytes_recv', 'bytes_sent', 'errin', 'errout'] as const;

const GPU_FIELDS: readonly [string, (gpu: GpuMetrics) => unknown][] = [
  ['utilization', (g) => g.utilization_percent],
  // The original's agent writes memory in MB as memory_used_MB.
  ['memory_used_mb', (g) => g.memory_used_mb ?? g['memory_used_MB']],
  ['temperature', (g) => g.temperature_C],
];

function put(out: Map<string, number>, name: string, value: unknown): void {
  // Stored payloads were validated on ingest; the check keeps one odd row from poisoning a rollup.
  if (typeof value === 'number' && Number.isFinite(value)) out.set(name, value);
}

export function headlineSeries(payload: MetricsPayload): Map<string, number> {
  const out = new Map<string, number>();
  put(out, 'cpu', payload.cpu?.total_percent);
  put(out, 'memory', payload.memory?.percent);
  put(out, 'swap', payload.memory?.swap_percent);
  for (const disk of payload.disks ?? []) {
    put(out, `disk:${disk.mountpoint}:percent`, disk.percent);
    put(out, `disk:${disk.mountpoint}:inode_percent`, disk.inode_percent);
  }
  for (const { name, reading } of sensorsOf(payload)) put(out, `sensor:${name}`, reading.current);
  (payload.network ?? []).forEach((iface, index) => {
    const name = interfaceName(iface, index);
    for (const counter of NETWORK_COUNTERS) put(out, `net:${name}:${counter}`, iface[counter]);
  });
  (payload.gpus ?? []).forEach((gpu, position) => {
    const name = gpuName(gpu, position);
    for (const [field, value] of GPU_FIELDS) put(out, `gpu:${name}:${field}`, value(gpu));
  });
  return out;
}

/** The kind a `fields` entry names (`disk` of `disk:/:percent`), if it is one we know. */
export function fieldKind(field: string): string | undefined {
  const kind = field.split(':', 1)[0];
  return (SERIES_KINDS as readonly string[]).includes(kind ?? '') ? kind : undefined;
}

/**
 * A test for series names from a `fields` list: an entry matches the series it names and every
 * series below it (`disk` matches `disk:/:percent`, `disk:/` matches both of the root disk,
 * `sensor:coretemp` every coretemp sensor). No list: every series.
 */
export function seriesFilter(fields: readonly string[] | undefined): (name: string) => boolean {
  if (fields === undefined) return () => true;
  return (name) => fields.some((f) => name === f || name.startsWith(`${f}:`) || name.startsWith(`${f}/`));
}

/** Keep only the series `fields` asks for. */
export function filterSeries(series: Map<string, number>, fields: readonly string[] | undefined): Map<string, number> {
  if (fields === undefined) return series;
  const wanted = seriesFilter(fields);
  return new Map([...series].filter(([name]) => wanted(name)));
}
