// Times as people write them in query strings: Unix seconds, or ISO 8601.

const ISO_8601 =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(?:[T ](?<hour>\d{2}):(?<minute>\d{2})(?::(?<second>\d{2})(?<fraction>\.\d+)?)?(?<zone>Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Unix seconds, or ISO 8601 (UTC unless it has an offset). */
export function parseTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) {
    // 400 digits read as Infinity, which no time is (history answered it with `"from": null`).
    const seconds = Number(trimmed);
    return Number.isFinite(seconds) ? seconds : undefined;
  }
  const groups = ISO_8601.exec(trimmed)?.groups;
  if (!groups) return undefined;
  const part = (name: string): string => groups[name] ?? '';
  const [year, month, day] = [Number(part('year')), Number(part('month')), Number(part('day'))];
  // Date.parse would roll 2023-02-30 over into March; a date that does not exist is a mistake.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  if (Number(part('hour')) > 23 || Number(part('minute')) > 59 || Number(part('second')) > 59) return undefined;
  const date = `${part('year')}-${part('month')}-${part('day')}`;
  if (part('hour') === '') return Date.parse(date) / 1000;
  const time = `T${part('hour')}:${part('minute')}:${part('second') || '00'}${part('fraction')}`;
  // JavaScript reads a date-time without offset as local time; the server's zone must not matter.
  const zone = part('zone').toUpperCase();
  const offset = zone === '' || zone === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${date}${time}${offset}`);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}
