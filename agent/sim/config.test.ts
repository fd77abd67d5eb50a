// fleetmon-sim's options: defaults, and a message naming the option for each mistake.
import { describe, expect, it } from 'vitest';
import { type RawSimOptions, buildSimConfig } from './config.js';

const raw = (overrides: Partial<RawSimOptions> = {}): RawSimOptions => ({
  server: 'http://127.0.0.1:8000',
  agents: '100',
  interval: '10s',
  faults: '0.1',
  seed: '42',
  concurrency: '256',
  timeout: '10s',
  idPrefix: 'sim',
  progress: '10s',
  ...overrides,
});

describe('buildSimConfig', () => {
  it('turns the options into one typed config', () => {
    expect(buildSimConfig(raw({ duration: '1m', interval: '500ms' }))).toEqual({
      server: 'http://127.0.0.1:8000/',
      agents: 100,
      intervalSeconds: 0.5,
      durationSeconds: 60,
      faultRate: 0.1,
      seed: 42,
      concurrency: 256,
      timeoutMs: 10_000,
      idPrefix: 'sim',
      progressSeconds: 10,
    });
    expect(buildSimConfig(raw()).durationSeconds).toBeUndefined();
    expect(buildSimConfig(raw({ progress: '0' })).progressSeconds).toBe(0);
  });

  it('takes a token from the --server URL as HTTP Basic, and keeps it out of the URL it shows', () => {
    const config = buildSimConfig(raw({ server: 'http://sim:fmt_0a1b2c3d_secret@127.0.0.1:8000' }));
    expect(config.server).toBe('http://127.0.0.1:8000/');
    expect(config.authorization).toBe(`Basic ${Buffer.from('sim:fmt_0a1b2c3d_secret').toString('base64')}`);
  });

  it.each([
    [{ server: undefined }, /--server is required/],
    [{ server: 'monitor:8000' }, /--server must be an http/],
    [{ server: 'not a url' }, /--server must be a URL/],
    [{ agents: undefined }, /--agents is required .* e\.g\. --agents 100/],
    [{ agents: 'ten' }, /--agents must be a whole number from 1 to 1000000, e\.g\. --agents 100; got 'ten'/],
    [{ agents: '0' }, /--agents must be a whole number/],
    [{ agents: '2.5' }, /--agents must be a whole number/],
    [{ interval: 'fast' }, /--interval must be a duration such as 10s/],
    [{ interval: '10ms' }, /--interval must be at least 0.1 s/],
    [{ duration: 'forever' }, /--duration must be a duration/],
    [{ faults: '10%' }, /--faults must be a share from 0 to 1/],
    [{ faults: '1.5' }, /--faults must be a share from 0 to 1/],
    [{ seed: '-1' }, /--seed must be a whole number/],
    [{ concurrency: '0' }, /--concurrency must be a whole number from 1/],
    [{ timeout: 'x' }, /--timeout must be a duration/],
    [{ idPrefix: 'web farm' }, /--id-prefix may contain only/],
  ])('refuses %o', (overrides, message) => {
    expect(() => buildSimConfig(raw(overrides))).toThrow(message);
  });
});
