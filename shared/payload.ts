// The metrics payload: the contract of the system we replace (its POST /metrics body),
// plus the optional fields fleetmon adds. Agent and backend both import this one schema.
// Every object is "loose": unknown fields are kept, because agents may send more than we know.
import { z } from 'zod';

export const LIMITS = {
  agentIdMax: 128,
  disks: 256,
  interfaces: 1024,
  sensorChips: 256,
  sensorsPerChip: 256,
  criticalProcesses: 1024,
  processes: 1024,
  gpus: 64,
  textMax: 1024,
  /** Largest counter (bytes, packets, inodes ...): a 64-bit counter never exceeds it. */
  countMax: 2 ** 63,
  /** Longest a sample may have waited in an agent's spool; the backend's retention usually ends sooner. */
  ageMaxSeconds: 10 * 365 * 86400,
  /** Longest time between two samples that an agent may announce. */
  intervalMaxSeconds: 86400,
} as const;

// zod's number() already refuses Infinity and NaN (1e999 in JSON parses to Infinity); each number
// also gets an upper bound, so that nothing absurd is stored or computed with.
const percent = z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100');
const count = z.number().min(0, 'must not be negative').max(LIMITS.countMax, 'must be at most 2^63');
const celsius = z.number().min(-273.15, 'is below absolute zero');
const text = z.string().max(LIMITS.textMax);

/**
 * A reading the agent may not have: absent or `null` both mean "not measured" (the original's
 * agent sends `null` where psutil could not read a value). Not measured is never healthy: the alert
 * engine keeps what such a reading had open, and starts nothing from it.
 */
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

export const agentIdPattern = /^[A-Za-z0-9._:@-]+$/;

export const cpuSchema = z.looseObject({
  total_percent: maybe(percent),
  per_core_percent: maybe(z.array(maybe(percent)).max(4096)),
  /** 1, 5 and 15 minute load averages: `load_average` from fleetmon's agent, `load_avg` from the original's. */
  load_average: maybe(z.array(count).max(3)),
  load_avg: maybe(z.array(count).max(3)),
});

export const memorySchema = z.looseObject({
  percent: maybe(percent),
  swap_percent: maybe(percent),
  total: maybe(count),
  available: maybe(count),
  used: maybe(count),
  free: maybe(count),
  swap_total: maybe(count),
  swap_used: maybe(count),
});

export const diskSchema = z.looseObject({
  mountpoint: z.string().min(1).max(4096),
  device: maybe(text),
  fstype: maybe(text),
  percent: maybe(percent),
  inode_percent: maybe(percent),
  // fleetmon's agent: bytes.
  total_bytes: maybe(count),
  used_bytes: maybe(count),
  free_bytes: maybe(count),
  // The original's agent (psutil): bytes, and inode counts (null where statvfs failed).
  total: maybe(count),
  used: maybe(count),
  free: maybe(count),
  inode_total: maybe(count),
  inode_used: maybe(count),
  inode_free: maybe(count),
  // I/O: since boot from the original's agent, per interval from fleetmon's (see interval_seconds).
  read_bytes: maybe(count),
  write_bytes: maybe(count),
  read_count: maybe(count),
  write_count: maybe(count),
});

export const sensorSchema = z.looseObject({
  label: maybe(text),
  current: maybe(celsius),
  high: maybe(celsius),
  critical: maybe(celsius),
});

export const networkInterfaceSchema = z.looseObject({
  /** The interface's name: `name` from fleetmon's agent, `interface` from the original's. */
  name: maybe(text),
  interface: maybe(text),
  bytes_recv: maybe(count),
  bytes_sent: maybe(count),
  packets_recv: maybe(count),
  packets_sent: maybe(count),
  errin: maybe(count),
  errout: maybe(count),
  dropin: maybe(count),
  dropout: maybe(count),
});

/** One GPU: NVIDIA (nvidia-smi), AMD (amdgpu sysfs) or Intel (i915/xe sysfs). */
export const gpuSchema = z.looseObject({
  index: maybe(count),
  vendor: maybe(text),
  name: maybe(text),
  driver: maybe(text),
  utilization_percent: maybe(percent),
  memory_used_mb: maybe(count),
  memory_total_mb: maybe(count),
  temperature_C: maybe(celsius),
});

/** One of the busiest processes, in the original's shape (`cpu` and `memory` are percents). */
export const processSchema = z.looseObject({
  pid: maybe(z.number().int().min(0)),
  name: maybe(text),
  cpu: maybe(count),
  memory: maybe(percent),
  status: maybe(text),
});

/** What the machine is; fleetmon's agent sends it with every sample. */
export const hostInfoSchema = z.looseObject({
  os: text.optional(),
  kernel: text.optional(),
  arch: text.optional(),
  cpu_model: text.optional(),
  cpu_cores: count.optional(),
});

// Empty is allowed here and means "not given", as the original's `agent_id or device` reads it.
const agentIdText = z
  .string({ error: 'must be a string' })
  .max(LIMITS.agentIdMax, `must be at most ${LIMITS.agentIdMax} characters`)
  .regex(/^[A-Za-z0-9._:@-]*$/, 'may contain only letters, digits and . _ : @ -');

/** Where a sample came from when it names no agent_id, as the original's backend decides it. */
export const UNKNOWN_AGENT_ID = 'unknown';

/** Every field as sent. No transforms in here: backend/payload-fast-check.ts compiles it to JSON Schema. */
export const payloadFieldsSchema = z.looseObject({
  // Optional as in the original: `device` (the hostname its agent sends) stands in, then "unknown".
  agent_id: maybe(agentIdText),
  device: maybe(agentIdText),
  platform: maybe(text),
  platform_release: maybe(text),
  platform_version: maybe(text),
  cpu: maybe(cpuSchema),
  memory: maybe(memorySchema),
  disks: maybe(z.array(diskSchema).max(LIMITS.disks, `must have at most ${LIMITS.disks} entries`)),
  sensors_temperature: maybe(
    z
      .record(z.string().max(LIMITS.textMax), z.array(sensorSchema).max(LIMITS.sensorsPerChip))
      .refine((chips) => Object.keys(chips).length <= LIMITS.sensorChips, {
        message: `must have at most ${LIMITS.sensorChips} chips`,
      })
      // The same bound for the JSON Schema made from this one (a refinement has no JSON Schema).
      .meta({ maxProperties: LIMITS.sensorChips }),
  ),
  // The original's agent sends `{}` when it has no reference clock: not measured.
  time_drift: maybe(z.looseObject({ drift_seconds: maybe(z.number()) })),
  network: maybe(z.array(networkInterfaceSchema).max(LIMITS.interfaces, `must have at most ${LIMITS.interfaces} entries`)),
  custom_alert: maybe(z.boolean()),
  custom_message: maybe(text),
  zombie_processes: maybe(z.number().int('must be a whole number').min(0, 'must not be negative')),
  critical_processes: maybe(
    z
      .record(z.string().min(1).max(LIMITS.textMax), maybe(z.boolean()))
      .refine((procs) => Object.keys(procs).length <= LIMITS.criticalProcesses, {
        message: `must have at most ${LIMITS.criticalProcesses} entries`,
      })
      .meta({ maxProperties: LIMITS.criticalProcesses }),
  ),
  processes: maybe(z.array(processSchema).max(LIMITS.processes, `must have at most ${LIMITS.processes} entries`)),
  gpus: maybe(z.array(gpuSchema).max(LIMITS.gpus, `must have at most ${LIMITS.gpus} entries`)),
  hardware: maybe(z.looseObject({})),
  uptime_sec: maybe(count),
  /** The agent's own clock when it measured, Unix seconds; kept as sent (fleetmon stores its own time beside it). */
  timestamp: maybe(z.number()),
  host: hostInfoSchema.optional(),
  // fleetmon additions for delivery without loss (see agent/spool.ts): a retry carries the same
  // sample_id, and age_seconds says how long ago the sample was measured.
  sample_id: z.string().min(1).max(128).regex(agentIdPattern, 'may contain only letters, digits and . _ : @ -').optional(),
  // A sample's time is receive time minus its age: an age without bound would put it anywhere
  // (1e308 s ago stopped rollups for good). The backend also refuses ages beyond its retention.
  age_seconds: z
    .number()
    .min(0, 'must not be negative')
    .max(LIMITS.ageMaxSeconds, `must be at most ${LIMITS.ageMaxSeconds} (10 years)`)
    .optional(),
  interval_seconds: z
    .number()
    .positive('must be positive')
    .max(LIMITS.intervalMaxSeconds, `must be at most ${LIMITS.intervalMaxSeconds} (1 day)`)
    .optional(),
});

/** The payload as stored and judged: `agent_id` always set (see UNKNOWN_AGENT_ID). */
export const metricsPayloadSchema = payloadFieldsSchema.transform((payload) => ({
  ...payload,
  agent_id: payload.agent_id || payload.device || UNKNOWN_AGENT_ID,
}));

export type MetricsPayload = z.output<typeof metricsPayloadSchema>;
export type HostInfo = z.infer<typeof hostInfoSchema>;
export type DiskMetrics = z.infer<typeof diskSchema>;
export type SensorReading = z.infer<typeof sensorSchema>;
export type NetworkInterfaceMetrics = z.infer<typeof networkInterfaceSchema>;
export type GpuMetrics = z.infer<typeof gpuSchema>;
export type ProcessMetrics = z.infer<typeof processSchema>;

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `disks.0.percent`; empty for the body itself. */
  field: string;
  message: string;
}

export type PayloadCheck =
  | { ok: true; payload: MetricsPayload }
  | { ok: false; problems: FieldProblem[] };

/** Validate an untrusted body; on failure, one entry per bad field with a readable message. */
export function checkMetricsPayload(body: unknown): PayloadCheck {
  const parsed = metricsPayloadSchema.safeParse(body);
  if (parsed.success) return { ok: true, payload: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
      message: issue.message,
    })),
  };
}
