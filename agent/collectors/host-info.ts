// What the machine is (distribution, kernel, CPU model): read once through systeminformation,
// which knows the many places distributions keep it; it does not change while the agent runs.
import si from 'systeminformation';
import type { HostInfo } from '../../shared/payload.js';

export async function readHostInfo(): Promise<HostInfo> {
  const [os, cpu] = await Promise.all([si.osInfo(), si.cpu()]);
  return {
    os: [os.distro, os.release].filter(Boolean).join(' '),
    kernel: os.kernel,
    arch: os.arch,
    cpu_model: [cpu.manufacturer, cpu.brand].filter(Boolean).join(' '),
    cpu_cores: cpu.cores,
  };
}

/** The first reading, reused; a failed reading is retried on the next sample. */
export function cachedHostInfo(read: () => Promise<HostInfo> = readHostInfo): () => Promise<HostInfo> {
  let pending: Promise<HostInfo> | undefined;
  return () => {
    pending ??= read().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
