// What every benchmark prints: how it was run, a short table, and one JSON line with its figures.
import { cpus } from 'node:os';

export interface Environment {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
}

export function environment(): Environment {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** A fixed-width table: first row is the header. */
export function table(rows: (string | number)[][]): string {
  const text = rows.map((r) => r.map(String));
  const widths = text[0]!.map((_, i) => Math.max(...text.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(text[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...text.slice(1).map(line)].join('\n');
}

export function printReport(name: string, how: string, rows: (string | number)[][], figures: Record<string, unknown>): void {
  const env = environment();
  console.log(`\n== ${name}`);
  console.log(`${how}; ${env.cores} cores (${env.cpu}), node ${env.node}, ${env.platform}`);
  console.log(table(rows));
  console.log(JSON.stringify({ benchmark: name, ...figures, environment: env }));
}

/** `--name value` from argv, with a default. */
export function argument(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
