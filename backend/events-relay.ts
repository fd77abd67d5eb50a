// The live stream across backends on one PostgreSQL database: what one backend publishes after a
// commit goes out on a NOTIFY channel, and every other backend delivers it to its own GET /events
// subscribers. A backend skips its own messages: its subscribers had those at once.
import { randomUUID } from 'node:crypto';
import type { FleetEvent } from '../shared/events.js';
import { headlineOf } from './devices/summary.js';
import { type EventBus, type PublishedGroup, transitionEvents } from './events.js';
import type { Logger } from './log.js';
import { alertsOfSample } from './store/alerts.js';
import type { Db } from './store/db.js';
import { MAX_NOTIFY_BYTES, listen, notifyAll } from './store/notify-channel.js';
import { sampleById } from './store/samples.js';

export const EVENTS_CHANNEL = 'fleetmon_events';

/**
 * One NOTIFY payload: the sending backend (`o`), its message counter (`n`; it also keeps two equal
 * messages of one transaction apart, which PostgreSQL would fold into one) and the items, in
 * order: an event, or the samples.id of a sample whose events did not fit (read back from the
 * database by whoever wants them).
 */
interface RelayMessage {
  o: string;
  n: number;
  x: (FleetEvent | number)[];
}

/**
 * JSON with every character beyond ASCII escaped (\u00e9): its length is its size in bytes in any
 * server encoding, and PostgreSQL's payload limit is in bytes.
 */
const asciiJson = (value: unknown): string => JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Bytes of items in a JSON array (each with its comma). */
const sizeOf = (items: readonly string[]): number => items.reduce((n, item) => n + item.length + 1, 0);

/** Room for `{"o":"<uuid>","n":<counter>,"x":[` and `]}` around the items. */
const ENVELOPE_BYTES = 100;
const ITEMS_BYTES = MAX_NOTIFY_BYTES - ENVELOPE_BYTES;

export interface EventsRelay {
  /** Stop listening, after the messages still being sent are out. */
  close(): Promise<void>;
}

export interface RelayOptions {
  bus: EventBus;
  db: Db;
  /** The database's URL, for the listener's own connection. */
  url: string;
  log: Logger;
}

/** Relay `bus` to and from the other backends on the database; resolves once listening. */
export async function relayEvents(o: RelayOptions): Promise<EventsRelay> {
  const origin = randomUUID();
  let counter = 0;

  // Sending: the groups published during one turn of the event loop (a group commit's) go out in
  // one statement, statements one after another so that other backends get them in order.
  let outbox: string[][] = [];
  let sending: Promise<void> = Promise.resolve();
  let sendFailing = false;
  const itemsOf = (group: PublishedGroup): string[] | undefined => {
    const items = group.events.map(asciiJson);
    if (sizeOf(items) <= ITEMS_BYTES) return items;
    if (group.sampleId !== undefined) return [String(group.sampleId)];
    o.log.warn(`live stream: an event of ${sizeOf(items)} bytes is too large to tell other backends; their dashboards see it on reload`);
    return undefined;
  };
  const messagesOf = (groups: string[][]): string[] => {
    const messages: string[] = [];
    let items: string[] = [];
    let bytes = 0;
    const cut = () => {
      if (items.length > 0) messages.push(`{"o":"${origin}","n":${counter++},"x":[${items.join(',')}]}`);
      items = [];
      bytes = 0;
    };
    for (const group of groups) {
      const groupBytes = sizeOf(group);
      if (bytes + groupBytes > ITEMS_BYTES) cut();
      items.push(...group);
      bytes += groupBytes;
    }
    cut();
    return messages;
  };
  const flush = () => {
    const messages = messagesOf(outbox);
    outbox = [];
    sending = sending
      .then(() => notifyAll(o.db, EVENTS_CHANNEL, messages))
      .then(
        () => {
          if (sendFailing) o.log.info('live stream: telling other backends of events again');
          sendFailing = false;
        },
        (err: unknown) => {
          if (!sendFailing) o.log.warn('live stream: cannot tell other backends of events (their dashboards see them on reload):', err);
          sendFailing = true;
        },
      );
  };
  o.bus.relayTo({
    send(group) {
      const items = itemsOf(group);
      if (!items) return;
      if (outbox.length === 0) setImmediate(flush);
      outbox.push(items);
    },
  });

  // Receiving: in the order the messages come, a sample read back before what follows it.
  let receiving: Promise<void> = Promise.resolve();
  const deliver = async (items: RelayMessage['x']) => {
    for (const item of items) {
      if (typeof item !== 'number') o.bus.deliver(item);
      else for (const event of await eventsOfStoredSample(o.db, item)) o.bus.deliver(event);
    }
  };
  const listener = await listen(o.url, EVENTS_CHANNEL, {
    message(payload) {
      // With nobody watching here there is nothing to do, and no sample to read back.
      if (o.bus.subscriberCount === 0) return;
      let message: RelayMessage;
      try {
        message = JSON.parse(payload) as RelayMessage;
      } catch {
        return;
      }
      if (message.o === origin || !Array.isArray(message.x)) return;
      receiving = receiving.then(() => deliver(message.x)).catch((err: unknown) => o.log.warn('live stream: could not read back an event of another backend:', err));
    },
    lost(err) {
      o.log.warn(`live stream: lost the connection that hears other backends' events (${err.message}); connecting again`);
    },
    regained() {
      o.log.info("live stream: hearing other backends' events again; open dashboards reconnect to read what they missed");
      // Their EventSource reconnects and the dashboard reads everything again.
      o.bus.dropSubscribers();
    },
  });
  return {
    async close() {
      await listener.close();
      await sending;
      await receiving;
    },
  };
}

/** A sample's events read back from the database (a sample event, its alerts): what its backend published. */
async function eventsOfStoredSample(db: Db, sampleId: number): Promise<FleetEvent[]> {
  const sample = await sampleById(db, sampleId);
  if (!sample) return [];
  const alerts = await alertsOfSample(db, sample);
  return [{ type: 'sample', device: sample.deviceId, ...headlineOf(sample.payload, sample.timestamp) }, ...transitionEvents(sample.deviceId, alerts, sample.timestamp)];
}
