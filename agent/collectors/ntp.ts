// Clock drift of this machine, against an NTP server (SNTP, RFC 4330) or the backend's clock.
//
// Sign convention, shared by every function here and by the payload's time_drift.drift_seconds:
//   drift_seconds = local clock − reference clock
// positive when this machine's clock is ahead. (NTP's own "offset" is the opposite sign: what to
// add to the local clock to be right.)
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';

export interface NtpMeasurement {
  drift_seconds: number;
  round_trip_seconds: number;
}

export interface NtpOptions {
  port?: number;
  timeoutMs?: number;
}

const PACKET_BYTES = 48;
const ORIGINATE_OFFSET = 24;
const RECEIVE_OFFSET = 32;
const TRANSMIT_OFFSET = 40;
const MODE_CLIENT = 3;
const MODE_SERVER = 4;
const VERSION = 4;
const LEAP_UNSYNCHRONIZED = 3;
/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_TO_UNIX_SECONDS = 2208988800;
const ERA_SECONDS = 2 ** 32;

/** Unix seconds as a 64-bit NTP timestamp (seconds since 1900, modulo 2^32, and a binary fraction). */
export function writeNtpTimestamp(buffer: Buffer, offset: number, unixSeconds: number): void {
  const ntpSeconds = unixSeconds + NTP_TO_UNIX_SECONDS;
  const whole = Math.floor(ntpSeconds);
  buffer.writeUInt32BE(whole % ERA_SECONDS, offset);
  buffer.writeUInt32BE(Math.min(ERA_SECONDS - 1, Math.round((ntpSeconds - whole) * ERA_SECONDS)), offset + 4);
}

/**
 * An NTP timestamp as Unix seconds. RFC 4330 §3: with the top bit clear the seconds have wrapped,
 * meaning 2036–2104 rather than 1900–1968.
 */
export function readNtpTimestamp(buffer: Buffer, offset: number): number {
  const seconds = buffer.readUInt32BE(offset);
  const fraction = buffer.readUInt32BE(offset + 4) / ERA_SECONDS;
  const era = seconds < 0x80000000 ? ERA_SECONDS : 0;
  return seconds + era + fraction - NTP_TO_UNIX_SECONDS;
}

/** The four timestamps of one exchange, in Unix seconds. */
export interface NtpExchange {
  clientSent: number;
  serverReceived: number;
  serverSent: number;
  clientReceived: number;
}

export function driftFromExchange(t: NtpExchange): NtpMeasurement {
  // RFC 4330 §5: offset = ((t2 − t1) + (t3 − t4)) / 2 is reference − local; drift is its negation.
  const offset = (t.serverReceived - t.clientSent + (t.serverSent - t.clientReceived)) / 2;
  const roundTrip = t.clientReceived - t.clientSent - (t.serverSent - t.serverReceived);
  return { drift_seconds: -offset, round_trip_seconds: Math.max(0, roundTrip) };
}

/** Why a reply cannot be used, or null when it can. */
export function problemWithReply(reply: Buffer, request: Buffer): string | null {
  if (reply.length < PACKET_BYTES) return `reply is ${reply.length} bytes, shorter than an NTP packet (${PACKET_BYTES})`;
  const first = reply.readUInt8(0);
  const leap = first >> 6;
  const mode = first & 0b111;
  const stratum = reply.readUInt8(1);
  if (mode !== MODE_SERVER) return `reply has mode ${mode}, not a server reply (${MODE_SERVER})`;
  if (stratum === 0) {
    const code = reply.subarray(12, 16).toString('ascii').replace(/[^\x20-\x7e]/g, '');
    return `server sent a kiss-o'-death (${code || 'no code'}): it refuses to serve us now`;
  }
  if (stratum > 15) return `server reports stratum ${stratum}: it is not synchronised`;
  if (leap === LEAP_UNSYNCHRONIZED) return 'server reports its clock is not synchronised (leap indicator 3)';
  // A reply to some other request (a late answer, a spoof) does not carry our transmit time.
  if (!reply.subarray(ORIGINATE_OFFSET, ORIGINATE_OFFSET + 8).equals(request.subarray(TRANSMIT_OFFSET, TRANSMIT_OFFSET + 8))) {
    return 'reply does not answer our request (originate timestamp mismatch)';
  }
  if (reply.readUInt32BE(TRANSMIT_OFFSET) === 0 && reply.readUInt32BE(TRANSMIT_OFFSET + 4) === 0) {
    return 'reply has no transmit timestamp';
  }
  return null;
}

/** IPv4 first: many hosts resolve AAAA records they have no route for; IPv6-only servers still work. */
const resolveServer = (host: string) => lookup(host, { family: 4 }).catch(() => lookup(host));

/** One SNTP exchange with `host` (name or address, IPv4 or IPv6). */
export async function measureNtpDrift(host: string, options: NtpOptions = {}): Promise<NtpMeasurement> {
  const port = options.port ?? 123;
  const timeoutMs = options.timeoutMs ?? 2000;
  const where = `NTP server ${host}:${port}`;
  const { address, family } = await resolveServer(host).catch((err: Error) => {
    throw new Error(`${where}: cannot resolve the name (${err.message})`);
  });
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');

  return new Promise<NtpMeasurement>((resolve, reject) => {
    const request = Buffer.alloc(PACKET_BYTES);
    // The wall clock is what we measure, so t1 is Date.now(); t4 adds the monotonic time elapsed,
    // which keeps the round trip right even if the clock is stepped mid-exchange.
    let clientSent = 0;
    let sentAtMonotonic = 0;
    let settled = false;
    const finish = (error: Error | null, measurement?: NtpMeasurement) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else if (measurement) resolve(measurement);
    };
    const timer = setTimeout(() => finish(new Error(`${where} did not answer within ${timeoutMs} ms`)), timeoutMs);

    socket.on('error', (err) => finish(new Error(`${where}: ${err.message}`)));
    socket.on('message', (reply) => {
      const clientReceived = clientSent + (performance.now() - sentAtMonotonic) / 1000;
      const problem = problemWithReply(reply, request);
      if (problem) return finish(new Error(`${where}: ${problem}`));
      finish(
        null,
        driftFromExchange({
          clientSent,
          serverReceived: readNtpTimestamp(reply, RECEIVE_OFFSET),
          serverSent: readNtpTimestamp(reply, TRANSMIT_OFFSET),
          clientReceived,
        }),
      );
    });
    // Connected, so the kernel drops datagrams from anyone but the server.
    socket.connect(port, address, () => {
      request.writeUInt8((VERSION << 3) | MODE_CLIENT, 0);
      clientSent = Date.now() / 1000;
      sentAtMonotonic = performance.now();
      writeNtpTimestamp(request, TRANSMIT_OFFSET, clientSent);
      socket.send(request);
    });
  });
}

/**
 * Drift against a clock read over a request/response (the backend's `server_time`), assuming the
 * server read its clock halfway through: all three in Unix seconds, result per the convention above.
 */
export function clockDriftFromServer(sentAt: number, receivedAt: number, serverTime: number): number {
  return (sentAt + receivedAt) / 2 - serverTime;
}
