// GET /events against a real backend: a real HTTP client reads the stream while samples are
// POSTed and the driven clock passes a device's silence limit.
import { afterEach, describe, expect, it } from 'vitest';
import { type EventStream, openEventStream } from './event-stream.js';
import { backendForEachTest, postJson } from './helpers.js';
import { healthyExample, originalExample } from './payloads.js';

const t = backendForEachTest();
let stream: EventStream | undefined;
afterEach(() => stream?.close());

describe('GET /events', () => {
  it('streams a new sample\'s headline values and the alerts it fired, after the POST is answered', async () => {
    stream = await openEventStream(`${t.backend.url}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toContain('no-cache');

    const answer = await postJson(`${t.backend.url}/metrics`, { ...originalExample, gpus: [{ index: 0, name: 'A100', utilization_percent: 87, temperature_C: 66 }] });
    expect(answer.status).toBe(200);
    const sample = await stream.next((e) => e.event === 'sample');
    expect(sample.data).toEqual({
      type: 'sample',
      device: 'demo-agent',
      timestamp: t.clock,
      cpu_percent: 95,
      memory_percent: 92,
      swap_percent: 55,
      fullest_disk: { mountpoint: '/', percent: 95 },
      hottest_sensor: { sensor: 'coretemp/Core 0', current: 90 },
      busiest_gpu: { name: 'A100', utilization_percent: 87, temperature_c: 66 },
    });
    const cpu = await stream.next((e) => e.event === 'alert' && e.data.type === 'alert' && e.data.rule === 'cpu_high');
    expect(cpu.data).toEqual({
      type: 'alert',
      device: 'demo-agent',
      kind: 'fired',
      rule: 'cpu_high',
      subject: '',
      alert: 'High CPU usage',
      severity: 'critical',
      value: 95,
      threshold: 90,
      timestamp: t.clock,
    });

    t.clock += 10;
    await postJson(`${t.backend.url}/metrics`, healthyExample);
    const recovered = await stream.next((e) => e.data.type === 'alert' && e.data.kind === 'recovered' && e.data.rule === 'cpu_high');
    expect(recovered.data).toMatchObject({ alert: 'High CPU usage - recovered', severity: 'warning', timestamp: t.clock });
  });

  it('says when a device falls silent past its limit, and when it reports again', async () => {
    await postJson(`${t.backend.url}/metrics`, { ...healthyExample, interval_seconds: 10 });
    stream = await openEventStream(`${t.backend.url}/events`);

    t.clock += 61;
    expect(await t.backend.checkSilentDevices()).toEqual(['demo-agent']);
    const offline = await stream.next((e) => e.event === 'offline');
    expect(offline.data).toEqual({ type: 'offline', device: 'demo-agent', timestamp: t.clock });
    const fired = await stream.next((e) => e.data.type === 'alert' && e.data.rule === 'device_offline');
    expect(fired.data).toMatchObject({ kind: 'fired', alert: 'Device not reporting', severity: 'critical' });

    t.clock += 5;
    await postJson(`${t.backend.url}/metrics`, { ...healthyExample, interval_seconds: 10 });
    const online = await stream.next((e) => e.event === 'online');
    expect(online.data).toEqual({ type: 'online', device: 'demo-agent', timestamp: t.clock });
  });

  it('sends nothing for a duplicate or a late sample', async () => {
    stream = await openEventStream(`${t.backend.url}/events`);
    await postJson(`${t.backend.url}/metrics`, { ...healthyExample, sample_id: 'a' });
    await postJson(`${t.backend.url}/metrics`, { ...healthyExample, sample_id: 'a' });
    await postJson(`${t.backend.url}/metrics`, { ...healthyExample, sample_id: 'b', age_seconds: 60 });
    t.clock += 10;
    await postJson(`${t.backend.url}/metrics`, { ...healthyExample, sample_id: 'c', cpu: { total_percent: 33 } });
    await stream.next((e) => e.data.type === 'sample' && e.data.cpu_percent === 33);
    // Events come in order: by the time 'c' is here, any earlier one would be too. Only 'a' and 'c' were new.
    expect(stream.received.filter((e) => e.event === 'sample').map((e) => e.data.timestamp)).toEqual([t.clock - 10, t.clock]);
  });

  it('ends open streams when the backend closes, so closing does not wait for them', async () => {
    stream = await openEventStream(`${t.backend.url}/events`);
    const other = await openEventStream(`${t.backend.url}/events`);
    expect(t.backend.events.subscriberCount).toBe(2);
    const started = Date.now();
    await t.backend.close();
    await Promise.all([stream.ended, other.ended]);
    // Well under the 10 s grace that would cut connections still open.
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('lets go of a client that leaves', async () => {
    stream = await openEventStream(`${t.backend.url}/events`);
    expect(t.backend.events.subscriberCount).toBe(1);
    stream.close();
    await expect.poll(() => t.backend.events.subscriberCount).toBe(0);
  });
});
