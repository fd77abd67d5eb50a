// Reading query-string parameters: each problem becomes a 400 that names the parameter.
import type { FieldProblem } from '../../shared/payload.js';
import { invalidRequest } from '../errors.js';
import { parseTime } from '../time-text.js';

export class QueryReader {
  readonly problems: FieldProblem[] = [];

  constructor(private readonly query: Record<string, string | string[] | undefined>) {}

  string(name: string): string | undefined {
    const value = this.query[name];
    if (Array.isArray(value)) {
      this.problems.push({ field: name, message: 'must be given once' });
      return undefined;
    }
    return value === undefined || value === '' ? undefined : value;
  }

  time(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = parseTime(text);
    if (value === undefined) this.problems.push({ field: name, message: `must be Unix seconds or an ISO 8601 time, got '${text}'` });
    return value;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      this.problems.push({ field: name, message: `must be a whole number from ${min} to ${max}, got '${text}'` });
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    if ((allowed as readonly string[]).includes(text)) return text as T;
    this.problems.push({ field: name, message: `must be one of ${allowed.join(', ')}, got '${text}'` });
    return undefined;
  }

  /** Throw one 400 listing every problem found so far. */
  check(what: string): void {
    if (this.problems.length === 0) return;
    throw invalidRequest(what, this.problems);
  }
}
