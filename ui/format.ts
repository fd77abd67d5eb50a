// Numbers and times as a person reads them: units, a dash for "not measured", the browser's time zone.
export const DASH = '–';

export function percent(value: number | null | undefined): string {
  if (value == null) return DASH;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} %`;
}

export function celsius(value: number | null | undefined): string {
  return value == null ? DASH : `${Math.round(value)} °C`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(value: number | null | undefined): string {
  if (value == null) return DASH;
  let v = Math.abs(value);
  let unit = 0;
  while (v >= 1024 && unit < BYTE_UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${value < 0 ? '-' : ''}${v < 10 && unit > 0 ? v.toFixed(1) : Math.round(v)} ${BYTE_UNITS[unit]}`;
}

export function mebibytes(value: number | null | undefined): string {
  return value == null ? DASH : bytes(value * 1024 * 1024);
}

export function count(value: number | null | undefined): string {
  return value == null ? DASH : Math.round(value).toLocaleString();
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function ago(timestamp: number, nowSeconds: number): string {
  const s = Math.max(0, nowSeconds - timestamp);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** A Unix time in the browser's time zone. */
export function localTime(timestamp: number): string {
  return dateTime.format(new Date(timestamp * 1000));
}

export const nowSeconds = (): number => Date.now() / 1000;

const plain = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 });

/** A rule's value or threshold: at most 3 significant digits. */
export function reading(value: number | null | undefined): string {
  return value == null ? DASH : plain.format(value);
}

/** "value / threshold", or the value alone where the threshold says nothing (on/off rules compare with 0). */
export function readingWithLimit(value: number | null, threshold: number | null): string {
  return threshold == null || threshold === 0 ? reading(value) : `${reading(value)} / ${reading(threshold)}`;
}

/** An alert's text with its subject, unless the text already names it. */
export function alertWithSubject(alert: string, subject: string): string {
  return subject && !alert.includes(subject) ? `${alert} (${subject})` : alert;
}

/** A duration in seconds as a person says it: "10 s", "5 min", "2 h". */
export function duration(seconds: number | null | undefined): string {
  if (seconds == null) return DASH;
  if (seconds < 100) return `${reading(seconds)} s`;
  if (seconds < 6000) return `${reading(seconds / 60)} min`;
  return `${reading(seconds / 3600)} h`;
}
