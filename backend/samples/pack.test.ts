import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PackedSample, decodeBlock, decodeBlockIndex, encodeBlock, encodeBlockAsync } from './pack.js';

const sample = (id: number, payload: unknown, extra: Partial<PackedSample> = {}): PackedSample => ({
  id,
  timestamp: 1_800_000_000 + id * 10,
  receivedAt: 1_800_000_000 + id * 10,
  sampleId: null,
  payload: JSON.stringify(payload),
  ...extra,
});

const anySample = fc.record({
  id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  timestamp: fc.double({ noNaN: true }),
  receivedAt: fc.double({ noNaN: true }),
  sampleId: fc.option(fc.string(), { nil: null }),
  payload: fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.jsonValue().map((v) => JSON.stringify(v, null, 2)),
    fc.string(),
  ),
});

describe('sample blocks', () => {
  it('give back every field of every sample exactly, whatever the payloads', () => {
    fc.assert(
      fc.property(fc.array(anySample, { maxLength: 30 }), (samples) => {
        expect(decodeBlock(encodeBlock(samples))).toEqual(samples);
      }),
      { numRuns: 300 },
    );
  });

  it('keep numbers as written, key order, nulls, nested arrays and unknown fields', () => {
    const texts = [
      '{"b":1,"a":{"z":[1,[2,[3.25,null]],-0.5e-7],"y":null},"n":12.5,"x_unknown":"v"}',
      '{"b":1.0,"a":{"z":[1,[2,[3.5,null]],1E+21],"y":null},"n":12.75,"x_unknown":"w"}',
      '{"b":-0,"a":{"z":[],"y":{}},"n":0.1,"x_unknown":"\\n\\u0001 \\"quoted\\""}',
      '{"b":007}',
      '{"b":123456789012345678901234567890,"n":1.7976931348623157e308}',
    ];
    const samples = texts.map((payload, i) => ({ ...sample(i + 1, null), payload }));
    expect(decodeBlock(encodeBlock(samples))).toEqual(samples);
  });

  it('keep a row sample_id that differs from the payload one, and the payload one', () => {
    const samples = [
      sample(1, { sample_id: 'a-1', v: 1 }, { sampleId: 'a-1' }),
      sample(2, { sample_id: 'a-2', v: 2 }, { sampleId: 'other' }),
      sample(3, { sample_id: 'a-3', v: 3 }, { sampleId: null }),
      sample(4, { v: 4 }, { sampleId: 'no-payload-id' }),
    ];
    const block = encodeBlock(samples);
    expect(decodeBlock(block)).toEqual(samples);
    expect(decodeBlockIndex(block).map((s) => s.sampleId)).toEqual(['a-1', 'other', null, 'no-payload-id']);
  });

  it('compress neighbouring samples of one machine far below their JSON', async () => {
    const samples = Array.from({ length: 360 }, (_, i) =>
      sample(i + 1, { agent_id: 'web-1', cpu: { total_percent: 20 + (i % 7) * 0.5 }, memory: { percent: 40.1 }, disk: { used: 1e11 + i * 4096 } }),
    );
    const block = await encodeBlockAsync(samples);
    expect(decodeBlock(block)).toEqual(samples);
    const json = samples.reduce((n, s) => n + s.payload.length, 0);
    expect(block.length).toBeLessThan(json / 50);
  });

  it('hold an empty block', () => {
    expect(decodeBlock(encodeBlock([]))).toEqual([]);
  });
});
