// Runs every collector at once and assembles one metrics payload. A collector that fails costs
// only its own fields: the rest of the sample is still worth sending.
import { metricsPayloadSchema, type MetricsPayload } from '../shared/payload.js';
import type { CollectorContext } from './collectors/context.js';
import { createCpuCollector } from './collectors/cpu.js';
import { runCustomCheck } from './collectors/custom-check.js';
import { createDiskCollector, type Statfs } from './collectors/disks.js';
import { errorMessage } from './collectors/errors.js';
import { createGpuCollector } from './collectors/gpus.js';
import { cachedHostInfo } from './collectors/host-info.js';
import { readMemory } from './collectors/memory.js';
import { createNetworkCollector } from './collectors/network.js';
import { createProcessCollector } from './collectors/processes.js';
import { readHwmonSensors } from './collectors/sensors.js';
import { readUptimeSeconds } from './collectors/uptime.js';

export interface SamplerOptions {
  ctx: CollectorContext;
  agentId: string;
  criticalProcesses: string[];
  /** Shell command whose failure raises the custom alert; none means custom_alert is always false. */
  customCheck?: string;
  customCheckTimeoutMs: number;
  statfs?: Statfs;
  /** nvidia-smi to run: a name looked up in PATH (the default) or a path. */
  nvidiaSmi?: string;
  warn?: (message: string) => void;
}

export interface SampleExtras {
  /** Local clock − reference, in seconds (see collectors/ntp.ts); omitted when not measured. */
  drift_seconds?: number;
}

export interface Sampler {
  sample(extra?: SampleExtras): Promise<MetricsPayload>;
}

type PayloadPart = Partial<MetricsPayload>;

const defaultWarn = (message: string) => console.error('[fleetmon-agent] warning:', message);

export function createSampler(options: SamplerOptions): Sampler {
  const { ctx, criticalProcesses, customCheck, customCheckTimeoutMs } = options;
  const warn = options.warn ?? defaultWarn;
  // Created once: CPU, network, disk I/O and process CPU shares report the interval since the previous sample.
  const cpu = createCpuCollector(ctx);
  const network = createNetworkCollector(ctx);
  const disks = createDiskCollector(ctx, { warn, ...(options.statfs ? { statfs: options.statfs } : {}) });
  const processes = createProcessCollector(ctx, criticalProcesses);
  const gpus = createGpuCollector(ctx, options.nvidiaSmi !== undefined ? { nvidiaSmi: options.nvidiaSmi } : {});
  const host = cachedHostInfo();

  // The fields each collector fills in, by the name a warning uses for it.
  const collectors: Record<string, () => Promise<PayloadPart>> = {
    cpu: async () => ({ cpu: await cpu.collect() }),
    memory: async () => ({ memory: await readMemory(ctx) }),
    disks: async () => ({ disks: await disks.collect() }),
    sensors_temperature: async () => ({ sensors_temperature: await readHwmonSensors(ctx) }),
    network: async () => ({ network: await network.collect() }),
    'zombie_processes, critical_processes and processes': () => processes.collect(),
    gpus: async () => ({ gpus: await gpus.collect() }),
    uptime_sec: async () => ({ uptime_sec: await readUptimeSeconds(ctx) }),
    host: async () => ({ host: await host() }),
    custom_alert: async () =>
      customCheck === undefined ? { custom_alert: false } : runCustomCheck(customCheck, { timeoutMs: customCheckTimeoutMs }),
  };

  return {
    async sample(extra = {}) {
      const table = Object.entries(collectors);
      const results = await Promise.allSettled(table.map(([, collect]) => collect()));
      const payload: MetricsPayload = { agent_id: options.agentId };
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') Object.assign(payload, result.value);
        else warn(`could not collect ${table[i]?.[0]}: ${errorMessage(result.reason)}; sending the sample without it`);
      });
      if (extra.drift_seconds !== undefined && Number.isFinite(extra.drift_seconds)) {
        payload.time_drift = { drift_seconds: extra.drift_seconds };
      }
      return dropInvalidFields(payload, warn);
    },
  };
}

/**
 * The backend refuses a whole payload for one bad field, so a field that breaks the schema (an
 * odd reading, more disks than the limit) is dropped here with a warning instead.
 */
function dropInvalidFields(payload: MetricsPayload, warn: (message: string) => void): MetricsPayload {
  const checked = metricsPayloadSchema.safeParse(payload);
  if (checked.success) return checked.data;
  const trimmed: Record<string, unknown> = { ...payload };
  for (const issue of checked.error.issues) {
    const field = issue.path[0];
    if (field === undefined || field === 'agent_id') {
      throw new Error(`agent id ${JSON.stringify(payload.agent_id)} is not valid: ${issue.message}`);
    }
    if (String(field) in trimmed) warn(`dropping ${String(field)} from the sample: ${issue.path.map(String).join('.')} ${issue.message}`);
    delete trimmed[String(field)];
  }
  return metricsPayloadSchema.parse(trimmed);
}
