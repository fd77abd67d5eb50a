// The codec of a sample block: many samples of one device (an hour of them) in one compressed
// blob, and back, byte for byte. Pure: no database, no clock.
//
// Layout, chosen by measurement (README, Performance): each payload's JSON text is split into a
// template (its keys and punctuation, with every value replaced by a placeholder) and its values.
// Samples of one machine share a handful of templates; each value slot of a template is a column,
// and a column of decimal numbers is stored as differences between neighbours, scaled to integers
// (so `12.5, 12.75` becomes `1250, 25`). The whole text then goes through brotli. Neighbouring
// samples are nearly identical, so the columns are mostly small numbers and repeats.
//
// Exactness: the payload is kept as text, not re-serialised. A column is stored as differences only
// if every one of its values comes back as the same text (a check per column at encode time);
// otherwise as the values' text itself. Anything the scanner does not recognise stays in the template.
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

export interface PackedSample {
  /** samples.id */
  id: number;
  /** Unix seconds, when it was measured. */
  timestamp: number;
  receivedAt: number;
  /** The agent's id for the sample; null when it sent none. */
  sampleId: string | null;
  /** The payload as stored: JSON text. */
  payload: string;
}

const FORMAT = 1;
/** Stands for a value in a template; JSON text never holds a raw control character. */
const HOLE = '\u0001';
const COLON = 58;
const QUOTE = 34;
/** JSON values in text: strings, numbers, literals. A string followed by `:` is a key, not a value. */
const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/g;
/** Integers up to 15 digits are exact in a double, and so are differences of two of them. */
const MAX_DIGITS = 15;

interface Split {
  template: string;
  values: string[];
  /** The template is the text itself, holes and all. */
  whole?: boolean;
}

function splitPayload(text: string): Split {
  // Values are stored one per line and holes marked by a control character: text holding either
  // (not JSON.stringify's output, but the codec takes any text) is kept whole.
  if (text.includes('\n') || text.includes(HOLE)) return { template: text, values: [], whole: true };
  const values: string[] = [];
  const pieces: string[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const start = match.index;
    const end = start + match[0].length;
    // A key (JSON.stringify puts no space before the colon; a spaced key is taken as a value, still exact).
    if (text.charCodeAt(end) === COLON && text.charCodeAt(start) === QUOTE) continue;
    pieces.push(text.slice(last, start));
    values.push(match[0]);
    last = end;
  }
  pieces.push(text.slice(last));
  return { template: pieces.join(HOLE), values };
}

/** A column: its values' text, or decimals and the differences of the values scaled by 10^decimals. */
type Column = { kind: 'text'; values: string[] } | { kind: 'delta' | 'scaled'; decimals: number; numbers: number[] };

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function decimalText(scaled: number, decimals: number): string {
  // Most columns are whole numbers: the fast path (history decodes a million values a day).
  if (decimals === 0) return String(scaled);
  const sign = scaled < 0 ? '-' : '';
  const digits = String(Math.abs(scaled)).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${sign}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

function encodeColumn(values: readonly string[]): Column {
  const parts: { sign: string; whole: string; fraction: string }[] = [];
  let decimals = 0;
  for (const value of values) {
    const m = DECIMAL.exec(value);
    if (!m) return { kind: 'text', values: [...values] };
    const part = { sign: m[1] ?? '', whole: m[2] ?? '', fraction: m[3] ?? '' };
    decimals = Math.max(decimals, part.fraction.length);
    parts.push(part);
  }
  const scaled: number[] = [];
  for (const [i, p] of parts.entries()) {
    const digits = (p.whole + p.fraction.padEnd(decimals, '0')).replace(/^0+(?=\d)/, '');
    if (digits.length > MAX_DIGITS) return { kind: 'text', values: [...values] };
    const n = Number(p.sign + digits);
    // `12.50`, `007` or `-0` would not come back as written.
    if (decimalText(n, decimals) !== values[i]) return { kind: 'text', values: [...values] };
    scaled.push(n);
  }
  const deltas = scaled.map((n, i) => (i === 0 ? n : n - scaled[i - 1]!));
  // Noisy values (a per-core percent) differ from their neighbour by more than they are: keep those as they are.
  const size = (ns: number[]) => ns.reduce((sum, n) => sum + Math.abs(n), 0);
  return size(deltas) <= size(scaled) ? { kind: 'delta', decimals, numbers: deltas } : { kind: 'scaled', decimals, numbers: scaled };
}

function decodeColumn(column: Column): string[] {
  if (column.kind === 'text') return column.values;
  if (column.kind === 'scaled') return column.numbers.map((n) => decimalText(n, column.decimals));
  let value = 0;
  return column.numbers.map((d) => decimalText((value += d), column.decimals));
}

/** The index part: the row columns of every sample, small, readable without the payloads. */
interface IndexHeader {
  format: number;
  count: number;
  /** Column specs of id, timestamp, received_at (see writeColumns); sample ids follow as JSON, one per line. */
  columns: string[];
}

/** The payload part. */
interface PayloadHeader {
  /** Payload texts with holes for values; [text] for a text kept whole. */
  templates: (string | [string])[];
  /** Per sample, the index of its template. */
  use: number[];
  columns: string[];
}

const numberText = (n: number) => (Object.is(n, -0) ? '-0' : String(n));

/**
 * Column specs: 'd<decimals>' (one line of differences), 's<decimals>' (one line of scaled values),
 * 't<count>' (that many lines of text), 'i' (each value is its sample's id, as JSON: the payload's
 * own sample_id, stored once in the index part).
 */
function writeColumns(columns: readonly (Column | 'sample_id')[], lines: string[]): string[] {
  return columns.map((c) => {
    if (c === 'sample_id') return 'i';
    if (c.kind === 'text') {
      lines.push(...c.values);
      return `t${c.values.length}`;
    }
    lines.push(c.numbers.join(','));
    return `${c.kind === 'delta' ? 'd' : 's'}${c.decimals}`;
  });
}

/** Reads columns back; 'i' columns come back empty, for the caller to fill. */
function readColumns(specs: readonly string[], lines: readonly string[], line: number): { columns: string[][]; line: number } {
  const columns = specs.map((spec): string[] => {
    if (spec === 'i') return [];
    const n = Number(spec.slice(1));
    if (spec.startsWith('t')) {
      const values = lines.slice(line, line + n);
      line += n;
      return values;
    }
    const text = lines[line++] ?? '';
    const numbers = text === '' ? [] : text.split(',').map(Number);
    return decodeColumn({ kind: spec.startsWith('d') ? 'delta' : 'scaled', decimals: n, numbers });
  });
  return { columns, line };
}

interface BlockTexts {
  index: Buffer;
  payloads: Buffer;
}

/** The two parts of a block as text, before compression. */
function blockTexts(samples: readonly PackedSample[]): BlockTexts {
  const sampleIds = samples.map((s) => JSON.stringify(s.sampleId));
  const indexLines: string[] = [];
  const index: IndexHeader = { format: FORMAT, count: samples.length, columns: [] };
  index.columns = writeColumns(
    [samples.map((s) => s.id), samples.map((s) => s.timestamp), samples.map((s) => s.receivedAt)].map((c) => encodeColumn(c.map(numberText))),
    indexLines,
  );
  indexLines.push(...sampleIds);

  const templates = new Map<string, number>();
  const wholeTexts = new Map<string, number>();
  const header: PayloadHeader = { templates: [], use: [], columns: [] };
  // Values of each (template, slot), and the samples of each template, in sample order.
  const slots: string[][][] = [];
  const rowsOf: number[][] = [];
  samples.forEach((sample, row) => {
    const { template, values, whole } = splitPayload(sample.payload);
    const known = whole ? wholeTexts : templates;
    let t = known.get(template);
    if (t === undefined) {
      t = slots.length;
      known.set(template, t);
      header.templates.push(whole ? [template] : template);
      slots.push(values.map(() => []));
      rowsOf.push([]);
    }
    header.use.push(t);
    rowsOf[t]!.push(row);
    values.forEach((v, i) => slots[t]![i]!.push(v));
  });
  const payloadLines: string[] = [];
  const columns = slots.flatMap((columnsOfTemplate, t) =>
    columnsOfTemplate.map((values) => (values.every((v, k) => v === sampleIds[rowsOf[t]![k]!]) ? ('sample_id' as const) : encodeColumn(values))),
  );
  header.columns = writeColumns(columns, payloadLines);
  return {
    index: Buffer.from([JSON.stringify(index), ...indexLines].join('\n')),
    payloads: Buffer.from([JSON.stringify(header), ...payloadLines].join('\n')),
  };
}

// Quality 10 of 11: on an hour of the simulator's samples, 96 bytes a sample against 107 at
// quality 6, for about 14 times the compression time (some 0.1 s a block, on libuv's pool, off the
// event loop). Disk is what limits a fleet on one box; quality 11 saves 7 more bytes for twice the time.
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 10, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT } };

/** Layout of a block: format byte, index part length (4 bytes, big-endian), index part, payload part. */
function joinParts(index: Buffer, payloads: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(FORMAT, 0);
  head.writeUInt32BE(index.length, 1);
  return Buffer.concat([head, index, payloads]);
}

/** Samples (kept in the order given) to one compressed block. */
export function encodeBlock(samples: readonly PackedSample[]): Buffer {
  const texts = blockTexts(samples);
  return joinParts(brotliCompressSync(texts.index, BROTLI), brotliCompressSync(texts.payloads, BROTLI));
}

const brotliCompressAsync = promisify(brotliCompress);

/** encodeBlock with the compression on libuv's thread pool, so that requests are served meanwhile. */
export async function encodeBlockAsync(samples: readonly PackedSample[]): Promise<Buffer> {
  const texts = blockTexts(samples);
  const [index, payloads] = await Promise.all([brotliCompressAsync(texts.index, BROTLI), brotliCompressAsync(texts.payloads, BROTLI)]);
  return joinParts(index, payloads);
}

export class BlockFormatError extends Error {}

function parts(block: Uint8Array): { index: Uint8Array; payloads: Uint8Array } {
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  if (bytes.length < 5 || bytes.readUInt8(0) !== FORMAT) {
    throw new BlockFormatError(`sample block format ${bytes[0] ?? 'none'} is not known to this version (${FORMAT})`);
  }
  const length = bytes.readUInt32BE(1);
  return { index: bytes.subarray(5, 5 + length), payloads: bytes.subarray(5 + length) };
}

/** A block's samples without their payloads (cheap: the payload part is not decompressed). */
export type IndexedSample = Omit<PackedSample, 'payload'>;

function decodeIndex(index: Uint8Array): { samples: IndexedSample[]; sampleIdTexts: string[] } {
  const lines = brotliDecompressSync(index).toString().split('\n');
  const header = JSON.parse(lines[0]!) as IndexHeader;
  const { columns, line } = readColumns(header.columns, lines, 1);
  const [ids, times, received] = columns as [string[], string[], string[]];
  const sampleIdTexts = lines.slice(line, line + header.count);
  const samples = sampleIdTexts.map((sid, i) => ({
    id: Number(ids[i]),
    timestamp: Number(times[i]),
    receivedAt: Number(received[i]),
    sampleId: JSON.parse(sid) as string | null,
  }));
  return { samples, sampleIdTexts };
}

export function decodeBlockIndex(block: Uint8Array): IndexedSample[] {
  return decodeIndex(parts(block).index).samples;
}

/** A block back to its samples, in the order they were packed. */
export function decodeBlock(block: Uint8Array): PackedSample[] {
  const { index, payloads } = parts(block);
  const { samples, sampleIdTexts } = decodeIndex(index);
  const lines = brotliDecompressSync(payloads).toString().split('\n');
  const header = JSON.parse(lines[0]!) as PayloadHeader;
  const { columns } = readColumns(header.columns, lines, 1);
  // Each template cut at its holes once, and where its columns start; how many of its samples have been read.
  const pieces: (string[] | undefined)[] = [];
  const firstColumn: number[] = [];
  let next = 0;
  for (const template of header.templates) {
    firstColumn.push(next);
    const cut = typeof template === 'string' ? template.split(HOLE) : undefined;
    pieces.push(cut);
    if (cut !== undefined) next += cut.length - 1;
  }
  const seen = header.templates.map(() => 0);
  return header.use.map((t, i): PackedSample => {
    const template = header.templates[t]!;
    const row = seen[t]!++;
    if (typeof template !== 'string') return { ...samples[i]!, payload: template[0] };
    const cut = pieces[t]!;
    const first = firstColumn[t]!;
    const parts: string[] = new Array(cut.length * 2 - 1);
    for (let k = 0; k < cut.length - 1; k++) {
      const column = first + k;
      parts[2 * k] = cut[k]!;
      parts[2 * k + 1] = header.columns[column] === 'i' ? sampleIdTexts[i]! : columns[column]![row]!;
    }
    parts[parts.length - 1] = cut[cut.length - 1]!;
    return { ...samples[i]!, payload: parts.join('') };
  });
}
