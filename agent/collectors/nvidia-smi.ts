// NVIDIA GPUs through nvidia-smi, which every NVIDIA driver ships (NVML itself would need a native
// module). The parser is pure; the runner only adds a deadline and the rule of one run at a time.
import { execFile } from 'node:child_process';
import { firstLine } from './custom-check.js';
import { errorCode } from './errors.js';
import type { GpuReading } from './gpus.js';

export const NVIDIA_SMI_QUERY = [
  'index',
  'name',
  'driver_version',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'pci.bus_id',
] as const;

export const NVIDIA_SMI_ARGS = [`--query-gpu=${NVIDIA_SMI_QUERY.join(',')}`, '--format=csv,noheader,nounits'];

/** nvidia-smi's words for a value it has not got: `[N/A]`, `[Not Supported]`, `[Unknown Error]`... */
const isNoValue = (field: string): boolean => /^\[.*\]$/.test(field) || field === 'N/A' || field === '';

const textOrNull = (field: string): string | null => (isNoValue(field) ? null : field);

function numberOrNull(field: string): number | null {
  if (isNoValue(field)) return null;
  const value = Number(field);
  return Number.isFinite(value) ? value : null;
}

/** A percentage outside 0..100 is a misreading, not a measurement. */
const percentOrNull = (field: string): number | null => {
  const value = numberOrNull(field);
  return value !== null && value >= 0 && value <= 100 ? value : null;
};

/** `00000000:07:00.0` as sysfs and lspci write it, `0000:07:00.0`, so all vendors' bus ids compare. */
export function pciAddress(busId: string): string {
  const match = /^([0-9a-f]+):([0-9a-f]{2}:[0-9a-f]{2}\.[0-7])$/i.exec(busId);
  if (!match?.[1] || !match[2]) return busId;
  return `${match[1].replace(/^0+/, '').padStart(4, '0')}:${match[2]}`.toLowerCase();
}

/**
 * `--format=csv,noheader,nounits` lines: `0, NVIDIA A100-SXM4-80GB, 550.54.15, 87, ...`. A name
 * holding a comma would shift the columns, so the name is whatever lies between the index and the
 * last six fields. Lines that are not GPUs (a warning nvidia-smi mixes in) are skipped.
 */
export function parseNvidiaSmiCsv(text: string): GpuReading[] {
  const gpus: GpuReading[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length < NVIDIA_SMI_QUERY.length) continue;
    const index = Number(fields[0]);
    if (fields[0] === '' || !Number.isInteger(index) || index < 0) continue;
    const [driver, utilization, memoryUsed, memoryTotal, temperature, busId] = fields.slice(-6) as [string, string, string, string, string, string];
    gpus.push({
      index,
      vendor: 'NVIDIA',
      name: textOrNull(fields.slice(1, -6).join(', ')) ?? 'NVIDIA GPU',
      driver: textOrNull(driver),
      utilization_percent: percentOrNull(utilization),
      memory_used_mb: numberOrNull(memoryUsed),
      memory_total_mb: numberOrNull(memoryTotal),
      temperature_C: numberOrNull(temperature),
      bus_id: isNoValue(busId) ? null : pciAddress(busId),
    });
  }
  return gpus.sort((a, b) => a.index - b.index);
}

export interface NvidiaSmiOptions {
  /** The nvidia-smi to run: a name looked up in PATH, or a path. */
  command: string;
  timeoutMs: number;
  /** Once nvidia-smi was not found, look for it again only at every this many reads. */
  lookAgainEvery?: number;
}

export interface NvidiaSmiReader {
  /** NVIDIA GPUs; none when nvidia-smi is not installed. Rejects when they cannot be measured. */
  read(): Promise<GpuReading[]>;
}

const MAX_OUTPUT_BYTES = 1024 * 1024;

// Trying to start a program that is not there still forks the agent: 1.7 ms of CPU, half again
// what a whole sample costs. A driver installed later is found within this many samples.
const LOOK_AGAIN_EVERY = 30;

/**
 * nvidia-smi can hang in the kernel on a GPU in trouble, where even SIGKILL waits, so a run past
 * its deadline is abandoned and no other is started until it exits: otherwise every sample would
 * leave one more stuck process behind.
 */
export function createNvidiaSmiReader(options: NvidiaSmiOptions): NvidiaSmiReader {
  const { command, timeoutMs } = options;
  const lookAgainEvery = options.lookAgainEvery ?? LOOK_AGAIN_EVERY;
  let stillRunning = false;
  let readsSinceNotFound: number | undefined;

  return {
    read() {
      if (readsSinceNotFound !== undefined && ++readsSinceNotFound < lookAgainEvery) return Promise.resolve([]);
      readsSinceNotFound = undefined;
      if (stillRunning) {
        return Promise.reject(new Error(`${command} from an earlier sample is still running; not starting another`));
      }
      return new Promise<GpuReading[]>((resolve, reject) => {
        let settled = false;
        stillRunning = true;
        const child = execFile(command, NVIDIA_SMI_ARGS, { encoding: 'utf8', maxBuffer: MAX_OUTPUT_BYTES }, (err, stdout, stderr) => {
          stillRunning = false;
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          if (!err) return resolve(parseNvidiaSmiCsv(stdout));
          // Not installed: a machine without NVIDIA GPUs.
          if (errorCode(err) === 'ENOENT') {
            readsSinceNotFound = 0;
            return resolve([]);
          }
          const said = firstLine(stdout) ?? firstLine(stderr);
          // The driver is loaded but there is no GPU for it.
          if (said === 'No devices were found') return resolve([]);
          const how = typeof err.code === 'number' ? `exited with status ${err.code}` : err.signal ? `was killed by ${err.signal}` : 'failed';
          reject(new Error(`${command} ${how}: ${said ?? err.message}`));
        });
        const deadline = setTimeout(() => {
          settled = true;
          child.kill('SIGKILL');
          reject(new Error(`${command} did not answer within ${timeoutMs / 1000} s`));
        }, timeoutMs);
      });
    },
  };
}
