import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clockDriftFromServer,
  driftFromExchange,
  measureNtpDrift,
  problemWithReply,
  readNtpTimestamp,
  writeNtpTimestamp,
} from './ntp.js';

/** What a fake server does with a request: the reply to send, or nothing. */
type Answer = (request: Buffer) => Buffer | null;

/** A reply from a stratum-2 server whose clock reads `serverAheadSeconds` more than ours. */
const answerWithClockAhead =
  (serverAheadSeconds: number, tweak: (reply: Buffer) => void = () => {}): Answer =>
  (request) => {
    const reply = Buffer.alloc(48);
    reply.writeUInt8((0 << 6) | (4 << 3) | 4, 0); // no leap warning, version 4, mode 4 (server)
    reply.writeUInt8(2, 1);
    request.copy(reply, 24, 40, 48); // originate = the client's transmit timestamp
    const now = Date.now() / 1000 + serverAheadSeconds;
    writeNtpTimestamp(reply, 32, now);
    writeNtpTimestamp(reply, 40, now + 0.001);
    tweak(reply);
    return reply;
  };

let server: dgram.Socket | undefined;

async function startFakeServer(answer: Answer): Promise<number> {
  const socket = dgram.createSocket('udp4');
  server = socket;
  socket.on('message', (request, peer) => {
    const reply = answer(request);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return (socket.address() as AddressInfo).port;
}

afterEach(() => {
  server?.close();
  server = undefined;
});

describe('NTP timestamps', () => {
  it('round-trip through the wire format, across the 2036 era rollover', () => {
    const buffer = Buffer.alloc(8);
    for (const unix of [1732588800.25, 2085978496 + 3600.5]) {
      writeNtpTimestamp(buffer, 0, unix);
      expect(readNtpTimestamp(buffer, 0)).toBeCloseTo(unix, 6);
    }
  });
});

describe('driftFromExchange', () => {
  it('is local minus reference: positive when this clock is ahead', () => {
    // The server is 10 s behind us; 0.1 s each way, 0.02 s in the server.
    const exchange = { clientSent: 1000, serverReceived: 990.1, serverSent: 990.12, clientReceived: 1000.22 };
    const { drift_seconds, round_trip_seconds } = driftFromExchange(exchange);
    expect(drift_seconds).toBeCloseTo(10, 9);
    expect(round_trip_seconds).toBeCloseTo(0.2, 9);
  });
});

describe('problemWithReply', () => {
  const request = Buffer.alloc(48);
  writeNtpTimestamp(request, 40, 1732588800);

  it('accepts a proper reply', () => {
    expect(problemWithReply(answerWithClockAhead(0)(request)!, request)).toBeNull();
  });

  it('names the kiss-o\'-death code', () => {
    const reply = answerWithClockAhead(0, (r) => {
      r.writeUInt8(0, 1);
      r.write('RATE', 12, 'ascii');
    })(request)!;
    expect(problemWithReply(reply, request)).toMatch(/kiss-o'-death \(RATE\)/);
  });

  it('refuses an unsynchronised server', () => {
    expect(problemWithReply(answerWithClockAhead(0, (r) => r.writeUInt8(0xe4, 0))(request)!, request)).toMatch(/not synchronised/);
  });
});

describe('measureNtpDrift', () => {
  it('measures a server 5 s ahead as a drift of −5 s (this clock is behind)', async () => {
    const port = await startFakeServer(answerWithClockAhead(5));
    const measured = await measureNtpDrift('127.0.0.1', { port, timeoutMs: 2000 });
    expect(measured.drift_seconds).toBeGreaterThan(-5.2);
    expect(measured.drift_seconds).toBeLessThan(-4.8);
    expect(measured.round_trip_seconds).toBeGreaterThanOrEqual(0);
    expect(measured.round_trip_seconds).toBeLessThan(0.2);
  });

  it('resolves host names', async () => {
    const port = await startFakeServer(answerWithClockAhead(-3));
    expect((await measureNtpDrift('localhost', { port })).drift_seconds).toBeCloseTo(3, 0);
  });

  it('gives up when the server never answers', async () => {
    const port = await startFakeServer(() => null);
    const started = Date.now();
    await expect(measureNtpDrift('127.0.0.1', { port, timeoutMs: 150 })).rejects.toThrow(/did not answer within 150 ms/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a reply that does not echo our transmit time', async () => {
    const port = await startFakeServer(answerWithClockAhead(5, (reply) => reply.writeUInt32BE(12345, 24)));
    await expect(measureNtpDrift('127.0.0.1', { port })).rejects.toThrow(/originate timestamp mismatch/);
  });

  it('refuses a short packet', async () => {
    const port = await startFakeServer(() => Buffer.alloc(12));
    await expect(measureNtpDrift('127.0.0.1', { port })).rejects.toThrow(/12 bytes, shorter than an NTP packet/);
  });

  it('refuses a kiss-o\'-death', async () => {
    const port = await startFakeServer(answerWithClockAhead(0, (r) => {
      r.writeUInt8(0, 1);
      r.write('DENY', 12, 'ascii');
    }));
    await expect(measureNtpDrift('127.0.0.1', { port })).rejects.toThrow(/kiss-o'-death \(DENY\)/);
  });
});

describe('clockDriftFromServer', () => {
  it('is local minus server, taking the server reading at the midpoint', () => {
    // Sent at 1000.0 and answered at 1000.4 by our clock; the server said 990.2: we are 10 s ahead.
    expect(clockDriftFromServer(1000, 1000.4, 990.2)).toBeCloseTo(10, 9);
    expect(clockDriftFromServer(1000, 1000.4, 1010.2)).toBeCloseTo(-10, 9);
  });
});
