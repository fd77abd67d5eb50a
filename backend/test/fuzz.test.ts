// Whatever a client sends, the answer is its own: 200 or a 4xx that says what is wrong, never a
// 5xx. Random JSON, the original's example and recorded samples with random parts replaced, and
// random query strings go to a real backend; a 4xx must be small JSON with `error`, and write nothing.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backendForEachTest, postJson, queryDb } from './helpers.js';
import { healthyExample, originalExample, withAgent } from './payloads.js';

const t = backendForEachTest({ maintenanceEveryMs: 0, silenceCheckEveryMs: 0 });

const fixtures = join(import.meta.dirname, 'fixtures/original-agent');
const recorded = readdirSync(fixtures)
  .filter((name) => name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as unknown);
const bases: unknown[] = [originalExample, healthyExample, ...recorded];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path into a JSON value: ['cpu'], ['cpu', 'total_percent'], ['disks', '0'], ... */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

/** A deep copy of `value` with the thing at `path` replaced, or deleted when `replacement` is undefined. */
function mutate(value: unknown, path: string[], replacement: Json | undefined): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  let parent: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = path.at(-1)!;
  if (replacement === undefined) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

// Numbers and strings at the edges: what made the backend stumble before, and its neighbours.
const edgeNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1e308, -1e308, 2 ** 53, 2 ** 63, 2 ** 64, 1e-308, 86400, 315_360_000, 315_360_001, 101, -273.16),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
const edgeString = fc.oneof(fc.string(), fc.constantFrom('', ' ', 'x'.repeat(2000), 'web 1', '../etc', '\u0000', '💥'), fc.string({ unit: 'binary' }));
const replacement: fc.Arbitrary<Json | undefined> = fc.oneof(
  edgeNumber,
  edgeString,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

const mutatedPayload = fc
  .constantFrom(...bases)
  .chain((base) => fc.tuple(fc.constant(base), fc.array(fc.tuple(fc.constantFrom(...pathsOf(base)), replacement), { minLength: 1, maxLength: 3 })))
  .map(([base, changes]) => {
    let body = base;
    for (const [path, value] of changes) {
      // A path under one already deleted or replaced by a scalar no longer exists.
      try {
        body = mutate(body, path, value);
      } catch {
        // keep the body as it was
      }
    }
    return JSON.stringify(body);
  });

// JSON text fleetmon's own stringify would never write: numbers past a double, nesting, bad bytes.
const rawText = fc.oneof(
  fc.string(),
  fc.constantFrom('{"agent_id": "a", "x": 1e309}', '{"age_seconds": 1e400}', `{"a": ${'['.repeat(3000)}${']'.repeat(3000)}}`, '{"agent_id": "a"', 'null', '[]', '"x"', '{}'),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.tuple(mutatedPayload, fc.nat(), fc.string({ maxLength: 5 })).map(([text, at, insert]) => text.slice(0, at % text.length) + insert + text.slice(at % text.length)),
);

const body = fc.oneof(mutatedPayload, mutatedPayload, rawText);

interface Answer {
  status: number;
  text: string;
}

async function send(url: string, init?: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text() };
}

/** A 4xx is JSON with an `error` text, and small whatever was asked. */
function expectClientError(answer: Answer): void {
  expect(answer.text.length).toBeLessThan(16 * 1024);
  const parsed = JSON.parse(answer.text) as { error?: unknown };
  expect(typeof parsed.error).toBe('string');
}

const rowCount = (): number =>
  queryDb<{ n: number }>(t.dbPath, 'select (select count(*) from samples) + (select count(*) from devices) + (select count(*) from alerts) as n')[0]?.n ?? -1;

describe('POST /metrics under random bodies', () => {
  it('answers 200 or a small JSON 4xx that wrote nothing, never 5xx', async () => {
    // The count after a refused body is the count before the next one (nothing else writes: the
    // timers are off), so it is read again only after a 200; on PostgreSQL each read is a psql.
    let counted: number | undefined;
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const before = counted ?? rowCount();
        counted = undefined;
        const answer = await send(`${t.backend.url}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
        expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500), `${answer.status} ${answer.text}`).toBe(true);
        if (answer.status !== 200) {
          expectClientError(answer);
          expect(rowCount()).toBe(before);
          counted = before;
        }
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});

// Query values: anything, and what parsers of times, durations and numbers meet at their edges.
const queryValue = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  edgeNumber.map(String),
  fc.constantFrom('1e308', '-1e308', '9'.repeat(400), `-${'9'.repeat(400)}`, 'Infinity', 'NaN', '0', '-0', '1e999', '0.0000001'),
  fc.constantFrom('2025-08-15T12:00:00Z', '0000-01-01', '9999-12-31T23:59:59+14:00', '2023-02-30', '1970-01-01T00:00:00.000000001Z'),
  fc.constantFrom('1ms', '5m', '1h', '1e308s', '999999999999y', '1', '-5m', 'cpu', 'cpu,memory', 'disk:/,net:eth0', 'critical', 'warning'),
);
const queryOf = (names: readonly string[]) =>
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })), queryValue), { maxLength: 5 }).map((pairs) => {
    const params = new URLSearchParams();
    for (const [name, value] of pairs) params.append(name, value);
    return params.toString();
  });

const deviceId = fc.oneof(fc.constantFrom('demo-agent', 'web-1', 'nobody'), fc.string({ minLength: 1, maxLength: 40 }));
const readRequest = fc.oneof(
  queryOf(['device', 'severity', 'rule', 'since', 'until', 'limit', 'cursor']).map((q) => `/alerts?${q}`),
  fc.tuple(deviceId, queryOf(['from', 'to', 'step', 'fields'])).map(([id, q]) => `/devices/${encodeURIComponent(id)}/history?${q}`),
  fc.tuple(deviceId, queryOf(['samples'])).map(([id, q]) => `/history/${encodeURIComponent(id)}?${q}`),
);

describe('GET /alerts and history under random query strings', () => {
  it('answers 200 or a small JSON 4xx, never 5xx', async () => {
    // Something to read: alerts fired and recovered, samples and rollups of two devices.
    for (const agent of ['demo-agent', 'web-1']) {
      for (const payload of [originalExample, healthyExample, originalExample]) {
        expect((await postJson(`${t.backend.url}/metrics`, withAgent(payload, agent))).status).toBe(200);
        t.clock += 600;
      }
    }
    await t.backend.maintenance.runUntilIdle();

    await fc.assert(
      fc.asyncProperty(readRequest, async (path) => {
        const answer = await send(`${t.backend.url}${path}`);
        expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500), `${path}: ${answer.status} ${answer.text}`).toBe(true);
        if (answer.status !== 200) return expectClientError(answer);
        // A time that is not finite once came back as null here, rather than as a 400.
        if (path.startsWith('/devices/')) {
          const { from, to, step } = JSON.parse(answer.text) as Record<string, unknown>;
          expect([from, to, step].every(Number.isFinite), `${path}: ${answer.text.slice(0, 200)}`).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
