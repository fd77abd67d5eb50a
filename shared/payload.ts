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
  textMax: 1024,
} as const;

const percent = z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100');
const count = z.number().min(0, 'must not be negative');
const celsius = z.number().min(-273.15, 'is below absolute zero');
const text = z.string().max(LIMITS.textMax);

export const agentIdPattern = /^[A-Za-z0-9._:@-]+$/;

export const cpuSchema = z.looseObject({
  total_percent: percent,
  per_core_percent: z.array(percent).max(4096).optional(),
  load_average: z.array(count).max(3).optional(),
});

export const memorySchema = z.looseObject({
  percent,
  swap_percent: percent.optional(),
});

export const diskSchema = z.looseObject({
  mountpoint: z.string().min(1).max(4096),
  percent,
  inode_percent: percent.optional(),
  total_bytes: count.optional(),
  used_bytes: count.optional(),
});

export const sensorSchema = z.looseObject({
  label: text.optional(),
  current: celsius,
  high: celsius.nullable().optional(),
  critical: celsius.nullable().optional(),
});

export const networkInterfaceSchema = z.looseObject({
  name: text.optional(),
  bytes_recv: count,
  bytes_sent: count,
  errin: count.optional(),
  errout: count.optional(),
});

/** What the machine is; fleetmon's agent sends it with every sample. */
export const hostInfoSchema = z.looseObject({
  os: text.optional(),
  kernel: text.optional(),
  arch: text.optional(),
  cpu_model: text.optional(),
  cpu_cores: count.optional(),
});

export const metricsPayloadSchema = z.looseObject({
  agent_id: z
    .string({
      error: (issue) => (issue.input === undefined ? 'is required: a string naming the machine' : 'must be a string'),
    })
    .min(1, 'must not be empty')
    .max(LIMITS.agentIdMax, `must be at most ${LIMITS.agentIdMax} characters`)
    .regex(agentIdPattern, 'may contain only letters, digits and . _ : @ -'),
  cpu: cpuSchema.optional(),
  memory: memorySchema.optional(),
  disks: z.array(diskSchema).max(LIMITS.disks, `must have at most ${LIMITS.disks} entries`).optional(),
  sensors_temperature: z
    .record(z.string().max(LIMITS.textMax), z.array(sensorSchema).max(LIMITS.sensorsPerChip))
    .refine((chips) => Object.keys(chips).length <= LIMITS.sensorChips, {
      message: `must have at most ${LIMITS.sensorChips} chips`,
    })
    .optional(),
  time_drift: z.looseObject({ drift_seconds: z.number() }).optional(),
  network: z
    .array(networkInterfaceSchema)
    .max(LIMITS.interfaces, `must have at most ${LIMITS.interfaces} entries`)
    .optional(),
  custom_alert: z.boolean().optional(),
  custom_message: text.optional(),
  zombie_processes: z.number().int('must be a whole number').min(0, 'must not be negative').optional(),
  critical_processes: z
    .record(z.string().min(1).max(LIMITS.textMax), z.boolean())
    .refine((procs) => Object.keys(procs).length <= LIMITS.criticalProcesses, {
      message: `must have at most ${LIMITS.criticalProcesses} entries`,
    })
    .optional(),
  host: hostInfoSchema.optional(),
  // fleetmon additions for delivery without loss (see agent/spool.ts): a retry carries the same
  // sample_id, and age_seconds says how long ago the sample was measured.
  sample_id: z.string().min(1).max(128).regex(agentIdPattern, 'may contain only letters, digits and . _ : @ -').optional(),
  age_seconds: count.optional(),
  interval_seconds: z.number().positive('must be positive').optional(),
});

export type MetricsPayload = z.infer<typeof metricsPayloadSchema>;
export type HostInfo = z.infer<typeof hostInfoSchema>;
export type DiskMetrics = z.infer<typeof diskSchema>;
export type SensorReading = z.infer<typeof sensorSchema>;
export type NetworkInterfaceMetrics = z.infer<typeof networkInterfaceSchema>;

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
