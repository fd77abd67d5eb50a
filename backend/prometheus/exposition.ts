// The Prometheus text exposition format (version 0.0.4), written by hand for the fleet's series:
// at 1,000 devices they are tens of thousands of label sets that live for one request, which a
// string builder writes several times faster than a registry of prom-client gauges (measured by
// backend/bench/prometheus.ts). fleetmon's own metrics use prom-client (self.ts).

export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'gauge' | 'counter';

/** A label value: backslash, double quote and newline escaped, as the format requires. */
export const escapeLabelValue = (value: string): string =>
  /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;

/** HELP text: backslash and newline escaped (quotes are allowed there). */
const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A sample value: Go's float spelling for the non-finite ones. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
}

/** Where series go: one per call; a value that is not a finite number writes nothing. */
export interface SeriesSink {
  add(family: MetricFamily, labels: Record<string, string>, value: number | null | undefined, timestampMs?: number): void;
}

/**
 * Series grouped by family, written as one text: every family's HELP and TYPE once, then all its
 * series together, as the format requires (a family's lines may not be interleaved with another's).
 * A family without a series is left out.
 */
export class ExpositionWriter implements SeriesSink {
  private readonly lines = new Map<MetricFamily, string[]>();

  /** One series. Labels in the order given; a value that is not a finite number writes nothing. */
  add(family: MetricFamily, labels: Record<string, string>, value: number | null | undefined, timestampMs?: number): void {
    if (value === null || value === undefined || !Number.isFinite(value)) return;
    // Plain concatenation: this runs tens of thousands of times per scrape.
    let line = family.name;
    let separator = '{';
    for (const name in labels) {
      line += `${separator}${name}="${escapeLabelValue(labels[name]!)}"`;
      separator = ',';
    }
    if (separator === ',') line += '}';
    line += ` ${formatValue(value)}`;
    if (timestampMs !== undefined) line += ` ${Math.round(timestampMs)}`;
    const list = this.lines.get(family);
    if (list) list.push(line);
    else this.lines.set(family, [line]);
  }

  text(): string {
    let out = '';
    for (const [family, lines] of this.lines) {
      out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
      out += lines.join('\n');
      out += '\n';
    }
    return out;
  }
}
