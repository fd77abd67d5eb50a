// Temperatures from the kernel's hwmon class, in the original's shape:
// { chip: [{ label, current, high, critical }] }, degrees Celsius.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type CollectorContext, sysPath } from './context.js';
import { hasErrorCode } from './errors.js';

export type TemperatureReading = {
  label: string;
  current: number;
  high: number | null;
  critical: number | null;
};

export type TemperaturesByChip = Record<string, TemperatureReading[]>;

const ABSOLUTE_ZERO = -273.15;

/** hwmon speaks millidegrees; integer maths keeps 38850 at 38.9 rather than 38.8. */
export function millidegreesToCelsius(text: string): number | null {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return null;
  const celsius = Math.round(Number(trimmed) / 100) / 10;
  // Disconnected inputs report nonsense far below absolute zero; the schema would reject the sample.
  return celsius >= ABSOLUTE_ZERO ? celsius : null;
}

/** A sysfs attribute's text, or null when it cannot be read now. */
export const readOptional = (file: string): Promise<string | null> => readFile(file, 'utf8').catch(() => null);

/** The numbers of the names that match `pattern` (one digit group), in numeric order: hwmon2 before hwmon10. */
export const numberedEntries = (names: string[], pattern: RegExp): number[] =>
  names
    .map((name) => pattern.exec(name)?.[1])
    .filter((digits): digits is string => digits !== undefined)
    .map(Number)
    .sort((a, b) => a - b);

/** Where a chip keeps its temp files: the hwmon directory, or `device/` on kernels before ~3.x. */
async function sensorDirectory(hwmonDir: string): Promise<{ dir: string; inputs: number[] } | null> {
  for (const dir of [hwmonDir, path.join(hwmonDir, 'device')]) {
    const names = await readdir(dir).catch(() => []);
    const inputs = numberedEntries(names, /^temp(\d+)_input$/);
    if (inputs.length > 0) return { dir, inputs };
  }
  return null;
}

async function chipName(hwmonDir: string, fallback: string): Promise<string> {
  const name = (await readOptional(path.join(hwmonDir, 'name'))) ?? (await readOptional(path.join(hwmonDir, 'device', 'name')));
  return name?.trim() || fallback;
}

async function readTemperature(dir: string, index: number): Promise<TemperatureReading | null> {
  const file = (suffix: string) => path.join(dir, `temp${index}_${suffix}`);
  // A sensor that cannot be read right now (EIO, ENODATA from a powered-down device) is left out.
  const input = await readOptional(file('input'));
  const current = input === null ? null : millidegreesToCelsius(input);
  if (current === null) return null;
  const [label, max, crit] = await Promise.all([readOptional(file('label')), readOptional(file('max')), readOptional(file('crit'))]);
  return {
    label: label?.trim() || `temp${index}`,
    current,
    high: max === null ? null : millidegreesToCelsius(max),
    critical: crit === null ? null : millidegreesToCelsius(crit),
  };
}

/**
 * Chips sharing a name (two NVMe drives) get suffixes in hwmon order: nvme, nvme-1, nvme-2.
 * Names are given before reading, so a sensor failing for a moment does not rename its neighbours.
 */
export function uniqueChipNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = seen.get(name) ?? 0;
    seen.set(name, count + 1);
    return count === 0 ? name : `${name}-${count}`;
  });
}

export async function readHwmonSensors(ctx: CollectorContext): Promise<TemperaturesByChip> {
  const hwmonRoot = sysPath(ctx, 'class', 'hwmon');
  let entries: string[];
  try {
    entries = await readdir(hwmonRoot);
  } catch (err) {
    if (hasErrorCode(err, 'ENOENT')) return {};
    throw err;
  }
  const hwmonDirs = numberedEntries(entries, /^hwmon(\d+)$/).map((n) => path.join(hwmonRoot, `hwmon${n}`));
  const names = uniqueChipNames(await Promise.all(hwmonDirs.map((dir) => chipName(dir, path.basename(dir)))));
  const chips = await Promise.all(
    hwmonDirs.map(async (hwmonDir) => {
      const found = await sensorDirectory(hwmonDir);
      if (!found) return [];
      const readings = await Promise.all(found.inputs.map((index) => readTemperature(found.dir, index)));
      return readings.filter((reading): reading is TemperatureReading => reading !== null);
    }),
  );
  const result: TemperaturesByChip = {};
  chips.forEach((readings, i) => {
    const name = names[i];
    if (name !== undefined && readings.length > 0) result[name] = readings;
  });
  return result;
}
