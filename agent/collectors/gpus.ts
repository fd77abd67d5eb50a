// Every GPU of the machine: NVIDIA ones from nvidia-smi, AMD and Intel ones from the kernel's DRM
// class in sysfs. null means not measured: a GPU that cannot tell its temperature has none reported.
import type { CollectorContext } from './context.js';
import { readDrmGpus } from './drm-gpus.js';
import { createNvidiaSmiReader } from './nvidia-smi.js';

export type GpuVendor = 'NVIDIA' | 'AMD' | 'Intel';

export type GpuReading = {
  index: number;
  vendor: GpuVendor;
  name: string;
  /** NVIDIA: the driver version (as nvidia-smi and the original's agent report it); AMD, Intel: the kernel driver. */
  driver: string | null;
  utilization_percent: number | null;
  /** MiB, as nvidia-smi counts them. */
  memory_used_mb: number | null;
  memory_total_mb: number | null;
  temperature_C: number | null;
  /** PCI address as lspci writes it, `0000:03:00.0`: the same GPU whatever its index. */
  bus_id: string | null;
  /** DRM GPUs only. */
  card?: string;
  pci_id?: string | null;
  power_watts?: number | null;
  frequency_mhz?: number | null;
  runtime_status?: string | null;
};

export interface GpuCollectorOptions {
  /** nvidia-smi to run: a name looked up in PATH (the default) or a path. */
  nvidiaSmi?: string;
  nvidiaSmiTimeoutMs?: number;
}

export interface GpuCollector {
  /** Rejects when some GPUs could not be measured (see below); an empty list means none. */
  collect(): Promise<GpuReading[]>;
}

// The first run after boot can take a few seconds while the driver initialises the GPUs.
const NVIDIA_SMI_TIMEOUT_MS = 5000;

export function createGpuCollector(ctx: CollectorContext, options: GpuCollectorOptions = {}): GpuCollector {
  const nvidia = createNvidiaSmiReader({
    command: options.nvidiaSmi ?? 'nvidia-smi',
    timeoutMs: options.nvidiaSmiTimeoutMs ?? NVIDIA_SMI_TIMEOUT_MS,
  });
  return {
    async collect() {
      // All or nothing: a list without the NVIDIA GPUs nvidia-smi failed to report would read as
      // "those GPUs are gone" and close their alerts.
      const [nvidiaGpus, drmGpus] = await Promise.all([nvidia.read(), readDrmGpus(ctx)]);
      // The backend names a GPU by its index, so indices run across vendors: NVIDIA ones keep
      // nvidia-smi's numbering (0, 1, ...), the DRM ones follow in card order.
      return [...nvidiaGpus, ...drmGpus].map((gpu, index) => ({ ...gpu, index }));
    },
  };
}
