// AMD (amdgpu) and Intel (i915, xe) GPUs from /sys/class/drm/card<N>/device, as the kernel
// exposes them without any vendor tool. NVIDIA cards are left to nvidia-smi; virtual GPUs and
// firmware framebuffers (virtio, simpledrm) are not GPUs worth monitoring.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { type CollectorContext, sysPath } from './context.js';
import { hasErrorCode } from './errors.js';
import type { GpuReading, GpuVendor } from './gpus.js';
import { millidegreesToCelsius, numberedEntries, readOptional } from './sensors.js';

export type DrmGpu = Omit<GpuReading, 'index'>;

const VENDORS_BY_PCI_ID: Record<string, GpuVendor> = { '0x1002': 'AMD', '0x8086': 'Intel' };

const MIB = 1024 * 1024;

/** `KEY=value` lines of a sysfs uevent file. */
export function parseUevent(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0) fields.set(line.slice(0, equals), line.slice(equals + 1).trim());
  }
  return fields;
}

/** A whole number the attribute holds, or null when it holds none (or could not be read). */
export function attributeNumber(text: string | null): number | null {
  const trimmed = text?.trim();
  return trimmed !== undefined && /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

const read = (...parts: string[]): Promise<string | null> => readOptional(path.join(...parts));

interface HwmonReadings {
  temperature_C: number | null;
  power_watts: number | null;
  frequency_mhz: number | null;
}

const NO_HWMON: HwmonReadings = { temperature_C: null, power_watts: null, frequency_mhz: null };

/**
 * The GPU's hwmon chip: amdgpu labels its sensors edge, junction and mem; the edge one is what
 * `sensors` and the original's agent show. Power in microwatts (power1_average before RDNA3,
 * power1_input since), the shader clock in Hz (freq1).
 */
async function readGpuHwmon(deviceDir: string): Promise<HwmonReadings> {
  const hwmonRoot = path.join(deviceDir, 'hwmon');
  const [first] = numberedEntries(await readdir(hwmonRoot).catch(() => []), /^hwmon(\d+)$/);
  if (first === undefined) return NO_HWMON;
  const dir = path.join(hwmonRoot, `hwmon${first}`);
  const inputs = numberedEntries(await readdir(dir).catch(() => []), /^temp(\d+)_input$/);
  const labels = await Promise.all(inputs.map((i) => read(dir, `temp${i}_label`)));
  const edge = inputs.find((_, k) => labels[k]?.trim() === 'edge') ?? inputs[0];
  const [temperature, power, frequency] = await Promise.all([
    edge === undefined ? null : read(dir, `temp${edge}_input`),
    read(dir, 'power1_average').then(async (average) => average ?? read(dir, 'power1_input')),
    read(dir, 'freq1_input'),
  ]);
  const microwatts = attributeNumber(power);
  const hertz = attributeNumber(frequency);
  return {
    temperature_C: temperature === null ? null : millidegreesToCelsius(temperature),
    power_watts: microwatts === null ? null : Math.round(microwatts / 100_000) / 10,
    frequency_mhz: hertz === null ? null : Math.round(hertz / 1_000_000),
  };
}

type DeviceReadings = Pick<DrmGpu, 'utilization_percent' | 'memory_used_mb' | 'memory_total_mb'> & { frequency_mhz: number | null };

const NOTHING_MEASURED: DeviceReadings = { utilization_percent: null, memory_used_mb: null, memory_total_mb: null, frequency_mhz: null };

async function readAmdgpu(deviceDir: string): Promise<DeviceReadings> {
  const [busy, used, total] = await Promise.all([
    read(deviceDir, 'gpu_busy_percent'),
    read(deviceDir, 'mem_info_vram_used'),
    read(deviceDir, 'mem_info_vram_total'),
  ]);
  const busyPercent = attributeNumber(busy);
  const usedBytes = attributeNumber(used);
  const totalBytes = attributeNumber(total);
  return {
    utilization_percent: busyPercent !== null && busyPercent <= 100 ? busyPercent : null,
    memory_used_mb: usedBytes === null ? null : Math.round(usedBytes / MIB),
    memory_total_mb: totalBytes === null ? null : Math.round(totalBytes / MIB),
    frequency_mhz: null,
  };
}

/** Intel exposes no cheap busy figure or memory use; the frequency it asks of the GPU it does. */
async function readIntelGpu(cardDir: string, deviceDir: string): Promise<DeviceReadings> {
  const frequency = (await read(cardDir, 'gt_cur_freq_mhz')) ?? (await read(deviceDir, 'tile0', 'gt0', 'freq0', 'cur_freq'));
  return { ...NOTHING_MEASURED, frequency_mhz: attributeNumber(frequency) };
}

async function readDrmCard(cardDir: string, card: string): Promise<DrmGpu | null> {
  const deviceDir = path.join(cardDir, 'device');
  const vendor = VENDORS_BY_PCI_ID[(await read(deviceDir, 'vendor'))?.trim() ?? ''];
  if (!vendor) return null;
  const [uevent, productName, runtimeStatus] = await Promise.all([
    read(deviceDir, 'uevent').then((text) => parseUevent(text ?? '')),
    read(deviceDir, 'product_name'),
    read(deviceDir, 'power', 'runtime_status'),
  ]);
  const identity = {
    vendor,
    // product_name comes from the board's FRU EEPROM, which consumer cards lack.
    name: productName?.trim() || `${vendor} GPU`,
    driver: uevent.get('DRIVER') ?? null,
    bus_id: uevent.get('PCI_SLOT_NAME')?.toLowerCase() ?? null,
    pci_id: uevent.get('PCI_ID') ?? null,
    card,
    runtime_status: runtimeStatus?.trim() || null,
  };
  // Reading a runtime-suspended GPU's attributes wakes it up (and keeps a laptop's discrete GPU
  // drawing power at every sample), so a sleeping GPU is listed with nothing measured.
  if (identity.runtime_status === 'suspended') return { ...identity, ...NOTHING_MEASURED, ...NO_HWMON };
  const [device, hwmon] = await Promise.all([
    vendor === 'AMD' ? readAmdgpu(deviceDir) : readIntelGpu(cardDir, deviceDir),
    readGpuHwmon(deviceDir),
  ]);
  return { ...identity, ...device, ...hwmon, frequency_mhz: device.frequency_mhz ?? hwmon.frequency_mhz };
}

/** Only `card<N>`: `card0-DP-1` entries are the card's connectors, renderD<N> its render nodes. */
export async function readDrmGpus(ctx: CollectorContext): Promise<DrmGpu[]> {
  const drmRoot = sysPath(ctx, 'class', 'drm');
  let entries: string[];
  try {
    entries = await readdir(drmRoot);
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return [];
    throw err;
  }
  const cards = numberedEntries(entries, /^card(\d+)$/).map((n) => `card${n}`);
  const gpus = await Promise.all(cards.map((card) => readDrmCard(path.join(drmRoot, card), card)));
  return gpus.filter((gpu): gpu is DrmGpu => gpu !== null);
}
