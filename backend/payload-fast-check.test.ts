// The compiled validator may only say yes where zod says yes and gives the body back unchanged:
// otherwise storing the body as sent would store something zod's path would not.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSimulatedMachine } from '../agent/sim/machine.js';
import { createRng } from '../agent/sim/random.js';
import { metricsPayloadSchema, payloadFieldsSchema } from '../shared/payload.js';
import { acceptedAsSent } from './payload-fast-check.js';
import { healthyExample, originalExample } from './test/payloads.js';

const fixtureDir = join(import.meta.dirname, 'test/fixtures/original-agent');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ agent_id: 'fixture', ...(JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')) as object) }));

function validPayloads(): Record<string, unknown>[] {
  const rng = createRng(3);
  const machines = Array.from({ length: 20 }, (_, i) => createSimulatedMachine(`sim-${i}`, rng, { faultRate: 0.5, intervalSeconds: 10 }));
  const simulated = machines.flatMap((m) => [1, 2, 3].map((t) => m.next(1_700_000_000 + t * 10) as Record<string, unknown>));
  return [...simulated, ...fixtures, healthyExample, originalExample, { agent_id: 'bare' }, { agent_id: 'u', unknown: { deep: [1, null, 'x'] } }];
}

describe('the compiled payload validator', () => {
  it('is made from a schema without transforms: only agent_id is filled in, outside it', () => {
    // A transform inside the fields would make the output differ from the body, and cannot be put in JSON Schema.
    expect(() => z.toJSONSchema(payloadFieldsSchema, { io: 'output' })).not.toThrow();
  });

  it('accepts the payloads agents send, and zod gives each back unchanged', () => {
    for (const payload of validPayloads()) {
      const body = JSON.parse(JSON.stringify(payload)) as unknown;
      expect(acceptedAsSent(body, JSON.stringify(body))).toBe(body);
      expect(metricsPayloadSchema.parse(body)).toEqual(body);
    }
  });

  it('leaves to zod what needs its hand: no agent_id, __proto__, escapes, characters beyond the BMP', () => {
    for (const raw of ['{}', '{"agent_id": ""}', '{"device": "d"}', '{"agent_id": "a", "__proto__": {}}', '{"agent_id": "\\u0061"}', '{"agent_id": "a", "custom_message": "😀"}']) {
      expect(acceptedAsSent(JSON.parse(raw), raw), raw).toBeUndefined();
    }
  });

  it('says yes only where zod says yes and changes nothing (any field replaced by any JSON value)', () => {
    const payloads = validPayloads();
    const paths = (value: unknown, prefix: string[] = []): string[][] =>
      typeof value === 'object' && value !== null
        ? [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))]
        : [prefix];
    const candidates = payloads.flatMap((p) => paths(p).filter((path) => path.length > 0).map((path) => ({ p, path })));
    const edgy = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom(-1, 0, 100, 100.5, 2 ** 53, 2 ** 63, 2 ** 64, -273.16, 1.5, '', 'x'.repeat(1025), null, [], {}, true),
      fc.array(fc.constantFrom(1, null, 'a', -1, 101), { maxLength: 5 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...candidates), edgy, ({ p, path }, value) => {
        const body = JSON.parse(JSON.stringify(p)) as Record<string, unknown>;
        let at: Record<string, unknown> = body;
        for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
        at[path.at(-1)!] = value;
        const raw = JSON.stringify(body);
        const parsed = JSON.parse(raw) as unknown;
        if (acceptedAsSent(parsed, raw) === undefined) return;
        const checked = metricsPayloadSchema.safeParse(parsed);
        expect(checked.success, `${path.join('.')} = ${JSON.stringify(value)?.slice(0, 100)}`).toBe(true);
        expect(checked.data).toEqual(parsed);
      }),
      { numRuns: 3000 },
    );
  });
});
