import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../backend/test/helpers.js';
import { Delivery, backoffDelayMs } from './delivery.js';
import type { SendResult } from './send.js';
import { Spool } from './spool.js';

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => dir?.remove());

const quiet = { info: () => {}, warn: () => {} };
const accepted: SendResult = { kind: 'accepted', duplicate: false, sentAt: 0, receivedAt: 0, serverTime: undefined };

describe('backoffDelayMs', () => {
  it('doubles from the base up to the maximum, with up to half of each step random', () => {
    const policy = { baseMs: 1000, maxMs: 8000 };
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelayMs(n, policy, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelayMs(n, policy, () => 0))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
  });
});

describe('Delivery', () => {
  async function spoolWith(ids: string[]) {
    dir = tempDir();
    const spool = await Spool.open(dir.path, 1_000_000, quiet);
    for (const [i, id] of ids.entries()) await spool.put({ agent_id: 'h', sample_id: id }, 1000 + i);
    return spool;
  }

  it('sends oldest first and empties the spool', async () => {
    const spool = await spoolWith(['a', 'b', 'c']);
    const sent: string[] = [];
    const delivery = new Delivery(spool, async (s) => (sent.push(s.payload.sample_id!), accepted), { backoff: { baseMs: 1000, maxMs: 1000 }, log: quiet });
    await delivery.drain();
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(spool.count).toBe(0);
  });

  it('stops at the first failure, keeps that sample and the rest, and waits before trying again', async () => {
    const spool = await spoolWith(['a', 'b', 'c']);
    let now = 10_000;
    const answers: SendResult[] = [accepted, { kind: 'unavailable', reason: 'connection refused' }];
    const sent: string[] = [];
    const delivery = new Delivery(spool, async (s) => (sent.push(s.payload.sample_id!), answers.shift() ?? accepted), {
      backoff: { baseMs: 1000, maxMs: 60_000 },
      log: quiet,
      now: () => now,
      random: () => 0,
    });
    await delivery.drain();
    expect(sent).toEqual(['a', 'b']);
    expect(spool.count).toBe(2);
    expect(delivery.nextAttemptAt).toBe(10_500);
    await delivery.drain(); // still backing off: nothing sent
    expect(sent).toEqual(['a', 'b']);
    now = 10_500;
    await delivery.drain();
    expect(sent).toEqual(['a', 'b', 'b', 'c']);
    expect(spool.count).toBe(0);
    await delivery.stop();
  });

  it('drops a sample the backend rejects, logging why, and goes on with the next', async () => {
    const spool = await spoolWith(['bad', 'good']);
    const warned: string[] = [];
    const sent: string[] = [];
    const delivery = new Delivery(
      spool,
      async (s) => {
        sent.push(s.payload.sample_id!);
        return s.payload.sample_id === 'bad' ? { kind: 'rejected', status: 400, message: 'cpu.total_percent must be between 0 and 100' } : accepted;
      },
      { backoff: { baseMs: 1000, maxMs: 1000 }, log: { info: () => {}, warn: (m) => warned.push(m) } },
    );
    await delivery.drain();
    expect(sent).toEqual(['bad', 'good']);
    expect(spool.count).toBe(0);
    expect(warned).toEqual([expect.stringMatching(/rejected sample bad \(HTTP 400\): cpu.total_percent/)]);
  });

  it('keeps a sample the backend refuses for its token (401, 403), backs off and says so once', async () => {
    const spool = await spoolWith(['a', 'b']);
    const warned: string[] = [];
    const info: string[] = [];
    let now = 10_000;
    let tokenFixed = false;
    const refused: SendResult = { kind: 'refused', status: 401, message: 'token 1a2b3c4d was revoked' };
    const delivery = new Delivery(spool, async () => (tokenFixed ? accepted : refused), {
      backoff: { baseMs: 1000, maxMs: 60_000 },
      log: { info: (m) => info.push(m), warn: (m) => warned.push(m) },
      now: () => now,
      random: () => 0,
    });
    await delivery.drain();
    expect(spool.count).toBe(2);
    expect(delivery.nextAttemptAt).toBe(10_500);
    now = 10_500;
    await delivery.drain();
    expect(spool.count).toBe(2);
    expect(warned).toEqual([expect.stringMatching(/^the backend refused the token \(HTTP 401\): token 1a2b3c4d was revoked; keeping samples in the spool/)]);

    tokenFixed = true;
    now = 20_000;
    await delivery.drain();
    expect(spool.count).toBe(0);
    expect(info).toEqual([expect.stringMatching(/^the backend accepts the token now/)]);
    await delivery.stop();
  });
});
