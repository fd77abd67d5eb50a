// A client's mistake gets a 4xx that names the problem, writes nothing, and the server keeps serving.
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBackend } from '../server.js';
import { postJson, queryDb, request, startTestBackend, tempDir } from './helpers.js';
import { healthyExample, originalExample } from './payloads.js';

let dir: ReturnType<typeof tempDir>;
let dbPath: string;
let backend: RunningBackend;

beforeAll(async () => {
  dir = tempDir();
  dbPath = join(dir.path, 'monitor.sqlite');
  backend = await startTestBackend(dbPath);
});

afterAll(async () => {
  await backend.close();
  await dir.remove();
});

interface ErrorAnswer {
  error: string;
  details?: { field: string; message: string }[];
}

const rowCounts = () =>
  queryDb<{ samples: number; devices: number; alerts: number; state: number }>(
    dbPath,
    `select (select count(*) from samples) as samples, (select count(*) from devices) as devices,
            (select count(*) from alerts) as alerts, (select count(*) from alert_state) as state`,
  )[0];

const postRaw = (body: string, contentType = 'application/json') =>
  request<ErrorAnswer>(`${backend.url}/metrics`, { method: 'POST', headers: { 'content-type': contentType }, body });

// Each case: the body, and the fields (with a piece of their message) the answer must name.
const invalidPayloads: { name: string; body: unknown; fields: [string, string][] }[] = [
  // A missing or empty agent_id is not a mistake: the original falls back to `device`, then "unknown".
  { name: 'agent_id with unsafe characters', body: { agent_id: 'web 1; drop table' }, fields: [['agent_id', 'may contain only']] },
  { name: 'agent_id too long', body: { agent_id: 'a'.repeat(129) }, fields: [['agent_id', 'at most 128']] },
  { name: 'agent_id of the wrong type', body: { agent_id: 42 }, fields: [['agent_id', 'must be a string']] },
  { name: 'percent as a string', body: { agent_id: 'a', cpu: { total_percent: '95' } }, fields: [['cpu.total_percent', 'expected number']] },
  { name: 'negative percent', body: { agent_id: 'a', memory: { percent: -3 } }, fields: [['memory.percent', 'between 0 and 100']] },
  { name: 'percent over 100', body: { agent_id: 'a', disks: [{ mountpoint: '/', percent: 101 }] }, fields: [['disks.0.percent', 'between 0 and 100']] },
  { name: 'negative zombie count', body: { agent_id: 'a', zombie_processes: -1 }, fields: [['zombie_processes', 'must not be negative']] },
  { name: 'fractional zombie count', body: { agent_id: 'a', zombie_processes: 1.5 }, fields: [['zombie_processes', 'whole number']] },
  { name: 'negative network counter', body: { agent_id: 'a', network: [{ bytes_recv: -1, bytes_sent: 0 }] }, fields: [['network.0.bytes_recv', 'must not be negative']] },
  { name: 'custom_alert not a boolean', body: { agent_id: 'a', custom_alert: 'yes' }, fields: [['custom_alert', 'expected boolean']] },
  { name: 'critical process state not a boolean', body: { agent_id: 'a', critical_processes: { nginx: 'down' } }, fields: [['critical_processes.nginx', 'expected boolean']] },
  { name: 'sensor below absolute zero', body: { agent_id: 'a', sensors_temperature: { coretemp: [{ label: 'Core 0', current: -300 }] } }, fields: [['sensors_temperature.coretemp.0.current', 'below absolute zero']] },
  { name: 'a device name with unsafe characters', body: { device: 'my laptop' }, fields: [['device', 'may contain only']] },
  { name: 'time_drift that is not an object', body: { agent_id: 'a', time_drift: 5 }, fields: [['time_drift', 'expected object']] },
  {
    name: 'too many disks',
    body: { agent_id: 'a', disks: Array.from({ length: 257 }, (_, i) => ({ mountpoint: `/m${i}`, percent: 1 })) },
    fields: [['disks', 'at most 256']],
  },
  // A sample's time is receive time minus its age: an unbounded age once stopped rollups for good.
  { name: 'an age of 1e308 seconds', body: { agent_id: 'a', age_seconds: 1e308 }, fields: [['age_seconds', 'at most 315360000 (10 years)']] },
  { name: 'a negative age', body: { agent_id: 'a', age_seconds: -5 }, fields: [['age_seconds', 'must not be negative']] },
  { name: 'an interval of two days', body: { agent_id: 'a', interval_seconds: 2 * 86400 }, fields: [['interval_seconds', 'at most 86400 (1 day)']] },
  { name: 'a byte counter past 2^63', body: { agent_id: 'a', network: [{ bytes_recv: 1e20, bytes_sent: 0 }] }, fields: [['network.0.bytes_recv', 'at most 2^63']] },
  { name: 'a memory size of 1e300', body: { agent_id: 'a', memory: { total: 1e300 } }, fields: [['memory.total', 'at most 2^63']] },
  { name: 'a JSON array instead of an object', body: [originalExample], fields: [['(body)', 'expected object']] },
  {
    name: 'several problems at once',
    body: { agent_id: 'a', cpu: { total_percent: 300 }, memory: { percent: 'high' } },
    fields: [
      ['cpu.total_percent', 'between 0 and 100'],
      ['memory.percent', 'expected number'],
    ],
  },
];

describe('POST /metrics with an invalid payload', () => {
  for (const c of invalidPayloads) {
    it(`rejects ${c.name} with 400 naming the field, and writes nothing`, async () => {
      const answer = await postJson<ErrorAnswer>(`${backend.url}/metrics`, c.body);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/^invalid metrics payload: /);
      for (const [field, message] of c.fields) {
        expect(answer.body.details).toContainEqual({ field, message: expect.stringContaining(message) });
        expect(answer.body.error).toContain(field);
      }
      expect(rowCounts()).toEqual({ samples: 0, devices: 0, alerts: 0, state: 0 });
    });
  }
});

describe('POST /metrics with a body that is not a payload at all', () => {
  it('rejects malformed JSON with 400 and a message saying so', async () => {
    const answer = await postRaw('{"agent_id": "a", "cpu": ');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/not valid JSON/);
  });

  it('rejects a bare JSON value with 400', async () => {
    const answer = await postRaw('"hello"');
    expect(answer.status).toBe(400);
  });

  it('rejects an empty body with 400 saying what to send', async () => {
    const answer = await postRaw('');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/request body is empty: send one sample as a JSON object/);
    expect(rowCounts()).toEqual({ samples: 0, devices: 0, alerts: 0, state: 0 });
  });

  it('rejects a body over the limit with 413 and says which option raises it', async () => {
    const huge = JSON.stringify({ agent_id: 'a', padding: 'x'.repeat(2 * 1024 * 1024) });
    const answer = await postRaw(huge);
    expect(answer.status).toBe(413);
    expect(answer.body.error).toContain('--body-limit');
  });

  it('rejects numbers JSON cannot hold (1e999 parses to Infinity)', async () => {
    const answer = await postRaw('{"agent_id": "a", "time_drift": {"drift_seconds": 1e999}}');
    expect(answer.status).toBe(400);
    expect(answer.body.details?.[0]?.field).toBe('time_drift.drift_seconds');
  });

  it('answers a body with 60,000 bad entries in under 16 KB: the first 50 problems and a count', async () => {
    const processes = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`p${i}`, 0]));
    const body = JSON.stringify({ agent_id: 'a', critical_processes: processes });
    expect(body.length).toBeGreaterThan(600_000);
    const res = await fetch(`${backend.url}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(16 * 1024);
    const answer = JSON.parse(text) as ErrorAnswer;
    expect(answer.details).toHaveLength(51);
    expect(answer.details?.[0]).toEqual({ field: 'critical_processes.p0', message: expect.stringContaining('expected boolean') });
    expect(answer.error).toMatch(/; \.\.\. and 5\d,\d{3} more$/);
  });

  it('rejects a body nested 2,000 levels deep in an unknown field with 400 naming the depth', async () => {
    const answer = await postRaw(`{"agent_id": "a", "extra": ${'['.repeat(2000)}${']'.repeat(2000)}}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('request body nests 2001 levels deep; at most 64 allowed');
  });

  it('rejects a body nested 400,000 levels deep (too deep to store) with 400 as well', async () => {
    const answer = await postRaw(`{"extra": ${'['.repeat(400_000)}0${']'.repeat(400_000)}}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('request body nests 400001 levels deep; at most 64 allowed');
  });

  it('rejects 1e309 (Infinity once parsed) in an unknown field with 400 naming its path', async () => {
    const answer = await postRaw('{"agent_id": "a", "extra": {"counts": [1, 1e309]}, "timestamp": -1e999}');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/^invalid metrics payload: /);
    expect(answer.body.details?.map((d) => d.field).sort()).toEqual(['extra.counts.1', 'timestamp']);
    expect(answer.body.details?.[0]?.message).toMatch(/not a finite number/);
  });

  for (const [encoding, body] of [
    ['gzip', Buffer.from('this is not gzip at all')],
    ['gzip', gzipSync(JSON.stringify(healthyExample)).subarray(0, 20)],
    ['deflate', Buffer.from('nor is this deflate')],
    ['br', brotliCompressSync(JSON.stringify(healthyExample)).subarray(0, 20)],
  ] as const) {
    it(`rejects a corrupt ${encoding} body (${body.length} bytes) with 400 saying so`, async () => {
      const answer = await request<ErrorAnswer>(`${backend.url}/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body,
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(new RegExp(`^request body is not valid ${encoding} \\(.+\\): send it compressed whole`));
    });
  }

  it('has written nothing for any of them, and keeps serving', async () => {
    expect(rowCounts()).toEqual({ samples: 0, devices: 0, alerts: 0, state: 0 });
    expect((await postJson(`${backend.url}/metrics`, healthyExample)).status).toBe(200);
    expect(rowCounts()).toEqual({ samples: 1, devices: 1, alerts: 0, state: 0 });
    expect((await request(`${backend.url}/health`)).status).toBe(200);
  });
});
