// An in-process event bus: ingest and the silence check publish what happened (after it is
// committed), GET /events subscribers receive it. No HTTP here; a subscriber is any callback. With
// several backends on one database a relay (events-relay.ts) also hands what is published here to
// the others, and delivers theirs here.
import type { AlertEvent, FleetEvent, SampleEvent } from '../shared/events.js';
import type { Transition } from './alerts/engine.js';
import { OFFLINE_RULE_ID } from './alerts/rules.js';

/** The events one commit published about one device, and the sample they came from (if any). */
export interface PublishedGroup {
  events: FleetEvent[];
  /** samples.id of the sample: whoever cannot be sent the events may read them back by it. */
  sampleId?: number;
}

/** Takes every group published on this bus to the other backends. */
export interface EventRelay {
  send(group: PublishedGroup): void;
}

export interface Subscriber {
  /** `json` is the event serialised once for every subscriber. */
  onEvent(event: FleetEvent, json: string): void;
  /** The bus is closing (backend shutdown): end the subscription. */
  onClose(): void;
}

export class EventBus {
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;
  private relay: EventRelay | undefined;

  relayTo(relay: EventRelay): void {
    this.relay = relay;
  }

  /** Returns the function that ends the subscription. */
  subscribe(subscriber: Subscriber): () => void {
    if (this.closed) {
      subscriber.onClose();
      return () => {};
    }
    this.subscribers.add(subscriber);
    return () => void this.subscribers.delete(subscriber);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Whether anybody hears what is published: a subscriber here, or other backends through the relay. */
  get heard(): boolean {
    return this.subscribers.size > 0 || this.relay !== undefined;
  }

  /** A new sample's event and the alert transitions it caused. */
  publishSample(event: SampleEvent, transitions: readonly Transition[], sampleId: number): void {
    if (!this.heard) return;
    this.publishGroup({ events: [event, ...transitionEvents(event.device, transitions, event.timestamp)], sampleId });
  }

  /** Each alert transition, plus `online` when a device's offline alert recovered. */
  publishTransitions(device: string, transitions: readonly Transition[], timestamp: number): void {
    if (!this.heard || transitions.length === 0) return;
    this.publishGroup({ events: transitionEvents(device, transitions, timestamp) });
  }

  private publishGroup(group: PublishedGroup): void {
    for (const event of group.events) this.deliver(event);
    this.relay?.send(group);
  }

  /** To this backend's subscribers only (events published here, or relayed from another backend). */
  deliver(event: FleetEvent): void {
    if (this.subscribers.size === 0) return;
    const json = JSON.stringify(event);
    // A subscriber that throws must not stop the others, nor the ingest that published.
    for (const subscriber of this.subscribers) {
      try {
        subscriber.onEvent(event, json);
      } catch {
        this.subscribers.delete(subscriber);
      }
    }
  }

  /**
   * End every subscription without closing the bus: their clients reconnect and read everything
   * again (after the relay missed events while its connection was down).
   */
  dropSubscribers(): void {
    for (const subscriber of this.subscribers) subscriber.onClose();
    this.subscribers.clear();
  }

  close(): void {
    this.closed = true;
    this.dropSubscribers();
  }
}

/** Each alert transition as an event, plus `online` or `offline` for the device's offline alert. */
export function transitionEvents(device: string, transitions: readonly Transition[], timestamp: number): FleetEvent[] {
  const events: FleetEvent[] = [];
  for (const t of transitions) {
    events.push(alertEvent(device, t, timestamp));
    if (t.rule === OFFLINE_RULE_ID) events.push({ type: t.kind === 'fired' ? 'offline' : 'online', device, timestamp });
  }
  return events;
}

/** What an alert event says: a transition, or a stored alert row, which has the same fields. */
export const alertEvent = (device: string, t: Pick<AlertEvent, 'kind' | 'rule' | 'subject' | 'alert' | 'severity' | 'value' | 'threshold'>, timestamp: number): AlertEvent => ({
  type: 'alert',
  device,
  kind: t.kind,
  rule: t.rule,
  subject: t.subject,
  alert: t.alert,
  severity: t.severity,
  value: t.value,
  threshold: t.threshold,
  timestamp,
});
