// GET /devices/:id/history: which points to compute (range, step, series) and where each part of
// the range comes from. Raw samples are kept for the retention period, 5-minute rollups and hourly
// rollups longer; rollups lag a few minutes behind. A series is assembled from the finest source
// the step allows that has data for each part of the range, so it runs on without a gap across
// the rollup watermark and the retention boundary.
import { parseTime } from '../time-text.js';
import type { FieldProblem } from '../../shared/payload.js';
import { DurationError, parseDurationSeconds } from '../../shared/duration.js';
import { invalidRequest } from '../errors.js';
import type { Db } from '../store/db.js';
import { FIVE_MINUTES, type Marks, ONE_HOUR, type TimeRange, deviceRollupsQuery, readMarks } from '../store/rollups.js';
import { devicePackedSamples } from '../store/sample-blocks.js';
import { deviceSampleColumnsQuery, deviceSamplesQuery } from '../store/sample-history.js';
import type { RollupResolution } from '../store/schema.js';
import { type Summary, addSummary, floorTo } from './aggregate.js';
import { readStoredPayload } from '../store/samples.js';
import { SERIES_KINDS, fieldKind, filterSeries, headlineSeries, seriesFilter } from './series.js';

export const MAX_POINTS = 500;
export const DEFAULT_RANGE_SECONDS = 86400;
/** Steps a computed step is rounded up to; past a day, whole days. */
export const NICE_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400] as const;

export interface HistoryRequest {
  /** Unix seconds, inclusive. */
  from: number;
  /** Unix seconds, inclusive. */
  to: number;
  /** Seconds, a whole number; at least minimumStep(from, to). */
  step: number;
  /** Series names or prefixes (`cpu`, `disk`, `disk:/`, ...); undefined for every series. */
  fields: string[] | undefined;
}

/** [bucket start, average, maximum] */
export type HistoryPoint = [number, number, number];

export interface HistoryResponse {
  device: string;
  from: number;
  to: number;
  step: number;
  series: Record<string, HistoryPoint[]>;
}

/** How many step buckets the points of [from, to] fall into. */
export const bucketCount = (from: number, to: number, step: number): number => Math.floor(to / step) - Math.floor(from / step) + 1;

/** The smallest nice step that answers [from, to] in at most MAX_POINTS points, above `atLeast`. */
export function minimumStep(from: number, to: number, atLeast = 0): number {
  for (const step of NICE_STEPS) if (step > atLeast && bucketCount(from, to, step) <= MAX_POINTS) return step;
  let days = Math.max(2, Math.ceil((to - from) / 86400 / (MAX_POINTS - 1)), Math.floor(atLeast / 86400) + 1);
  while (bucketCount(from, to, days * 86400) > MAX_POINTS) days++;
  return days * 86400;
}

/**
 * The step used for a request: the requested one if it gives at most MAX_POINTS points, else the
 * minimum; from 5 minutes up always a multiple of 5 minutes, so that rollup buckets fit in it.
 */
export function chooseStep(from: number, to: number, requested: number | undefined): number {
  if (requested === undefined) return minimumStep(from, to);
  let step = Math.max(1, Math.ceil(requested));
  if (step > FIVE_MINUTES) step = Math.ceil(step / FIVE_MINUTES) * FIVE_MINUTES;
  return bucketCount(from, to, step) <= MAX_POINTS ? step : minimumStep(from, to, step);
}

type QueryValue = string | string[] | undefined;

/** Read and check the query string; throws a 400 RequestError naming each bad parameter. */
export function parseHistoryRequest(query: Record<string, QueryValue>, now: number): HistoryRequest {
  const problems: FieldProblem[] = [];
  const single = (name: string): string | undefined => {
    const value = query[name];
    if (Array.isArray(value)) {
      problems.push({ field: name, message: 'must be given once' });
      return undefined;
    }
    return value;
  };
  const time = (name: 'from' | 'to'): number | undefined => {
    const text = single(name);
    if (text === undefined) return undefined;
    const value = parseTime(text);
    if (value === undefined) {
      problems.push({ field: name, message: `must be Unix seconds or an ISO 8601 time such as 2025-08-15T12:00:00Z, got '${text}'` });
    }
    return value;
  };
  const fromParam = time('from');
  const toParam = time('to');
  const to = toParam ?? now;
  const from = fromParam ?? to - DEFAULT_RANGE_SECONDS;
  if (problems.length === 0 && from >= to) {
    problems.push({ field: 'from', message: `must be before to (from ${from}, to ${to})` });
  }

  let requestedStep: number | undefined;
  const stepText = single('step');
  if (stepText !== undefined) {
    try {
      requestedStep = parseDurationSeconds(stepText, 'step');
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
    }
    if (requestedStep === undefined || requestedStep < 1) {
      problems.push({ field: 'step', message: `must be a duration of at least 1 second such as 60, 5m or 1h, got '${stepText}'` });
    }
  }

  let fields: string[] | undefined;
  const fieldsText = single('fields');
  if (fieldsText !== undefined) {
    fields = fieldsText.split(',').map((f) => f.trim());
    const unknown = fields.filter((f) => fieldKind(f) === undefined);
    if (unknown.length > 0) {
      problems.push({
        field: 'fields',
        message: `must be a comma-separated list of ${SERIES_KINDS.join(', ')} or series names starting with one of them, got '${unknown.join(',')}'`,
      });
    }
  }

  if (problems.length > 0) {
    throw invalidRequest('history query', problems);
  }
  return { from, to, step: chooseStep(from, to, requestedStep), fields };
}

export type HistorySource = 'samples' | RollupResolution;

export interface SourcePart extends TimeRange {
  source: HistorySource;
}

/** Where each source has data: raw samples after their purge, rollups between their purge and watermark. */
function availability(source: HistorySource, marks: Marks): TimeRange {
  const since = (mark: number | undefined) => mark ?? Number.NEGATIVE_INFINITY;
  if (source === 'samples') return { from: since(marks.samplesPurgedUntil), to: Number.POSITIVE_INFINITY };
  if (source === FIVE_MINUTES) {
    return marks.rollup300Until === undefined ? { from: 0, to: 0 } : { from: since(marks.rollup300PurgedUntil), to: marks.rollup300Until };
  }
  return marks.rollup3600Until === undefined ? { from: 0, to: 0 } : { from: since(marks.rollup3600PurgedUntil), to: marks.rollup3600Until };
}

/** The sources to try, best first: the one whose resolution fits the step, then finer, then coarser. */
function preference(step: number): HistorySource[] {
  if (step < FIVE_MINUTES) return ['samples', FIVE_MINUTES, ONE_HOUR];
  if (step % ONE_HOUR === 0) return [ONE_HOUR, FIVE_MINUTES, 'samples'];
  return [FIVE_MINUTES, 'samples', ONE_HOUR];
}

/** Split `range` among the sources: each part goes to the most preferred source with data there. */
export function planSources(range: TimeRange, step: number, marks: Marks): SourcePart[] {
  const parts: SourcePart[] = [];
  let remaining: TimeRange[] = [range];
  for (const source of preference(step)) {
    const has = availability(source, marks);
    const left: TimeRange[] = [];
    for (const r of remaining) {
      const from = Math.max(r.from, has.from);
      const to = Math.min(r.to, has.to);
      if (from < to) {
        parts.push({ source, from, to });
        if (r.from < from) left.push({ from: r.from, to: from });
        if (to < r.to) left.push({ from: to, to: r.to });
      } else {
        left.push(r);
      }
    }
    remaining = left;
  }
  return parts.sort((a, b) => a.from - b.from);
}

/** Points per series, bucket by bucket; partial buckets from several sources combine count-weighted. */
export class HistoryPoints {
  private readonly series = new Map<string, Map<number, Summary>>();

  constructor(private readonly step: number) {}

  add(name: string, time: number, sum: number, max: number, count: number): void {
    let points = this.series.get(name);
    if (points === undefined) this.series.set(name, (points = new Map()));
    addSummary(points, floorTo(time, this.step), sum, max, count);
  }

  toJson(): Record<string, HistoryPoint[]> {
    const out: Record<string, HistoryPoint[]> = {};
    for (const name of [...this.series.keys()].sort()) {
      const points = this.series.get(name) ?? new Map<number, Summary>();
      out[name] = [...points]
        .sort(([a], [b]) => a - b)
        .map(([t, s]): HistoryPoint => [t, s.sum / s.count, s.max]);
    }
    return out;
  }
}

const COLUMN_SERIES = ['cpu', 'memory', 'swap'] as const;

/** Only cpu, memory and swap asked for: they are columns, and the payloads need not be read. */
const columnsSuffice = (fields: readonly string[] | undefined): boolean =>
  fields !== undefined && fields.every((f) => (COLUMN_SERIES as readonly string[]).includes(f));

async function addSamples(db: Db, deviceId: string, range: TimeRange, fields: string[] | undefined, points: HistoryPoints): Promise<void> {
  // Older samples are packed in hourly blocks: only the blocks of this range are read and unpacked.
  const packed = await devicePackedSamples(db, deviceId, range);
  if (columnsSuffice(fields)) {
    const wanted = seriesFilter(fields);
    const add = (timestamp: number, values: Record<(typeof COLUMN_SERIES)[number], number | null | undefined>) => {
      for (const name of COLUMN_SERIES) {
        const value = values[name];
        if (value !== null && value !== undefined && wanted(name)) points.add(name, timestamp, value, value, 1);
      }
    };
    for (const row of await deviceSampleColumnsQuery(db, deviceId, range).execute()) {
      add(row.timestamp, { cpu: row.cpu_percent, memory: row.memory_percent, swap: row.swap_percent });
    }
    for (const sample of packed) {
      // The same values insertSample puts in the columns.
      const payload = readStoredPayload(sample.payload);
      add(sample.timestamp, { cpu: payload.cpu?.total_percent, memory: payload.memory?.percent, swap: payload.memory?.swap_percent });
    }
    return;
  }
  for (const row of [...(await deviceSamplesQuery(db, deviceId, range).execute()), ...packed]) {
    for (const [name, value] of filterSeries(headlineSeries(readStoredPayload(row.payload)), fields)) {
      points.add(name, row.timestamp, value, value, 1);
    }
  }
}

async function addRollups(
  db: Db,
  deviceId: string,
  resolution: RollupResolution,
  range: TimeRange,
  fields: string[] | undefined,
  points: HistoryPoints,
): Promise<void> {
  const wanted = seriesFilter(fields);
  for (const row of await deviceRollupsQuery(db, deviceId, resolution, range).execute()) {
    if (wanted(row.series)) points.add(row.series, row.bucket, row.avg * row.count, row.max, row.count);
  }
}

/** The history of one device (which must exist) for a checked request. */
export async function readHistory(db: Db, deviceId: string, request: HistoryRequest): Promise<HistoryResponse> {
  const { step, fields } = request;
  // Whole step buckets, so that the first and last points summarise as much as the others.
  const range = { from: floorTo(request.from, step), to: floorTo(request.to, step) + step };
  const points = new HistoryPoints(step);
  // One transaction: maintenance cannot move a watermark between the reads of two parts (on
  // PostgreSQL that takes one snapshot for the whole transaction; SQLite's always is).
  await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    for (const part of planSources(range, step, await readMarks(trx))) {
      if (part.source === 'samples') await addSamples(trx, deviceId, part, fields, points);
      else await addRollups(trx, deviceId, part.source, part, fields, points);
    }
  });
  return { device: deviceId, from: request.from, to: request.to, step, series: points.toJson() };
}
