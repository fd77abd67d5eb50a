// An in-process event bus: ingest and the silence check publish what happened (after it is
// committed), GET /events subscribers receive it. No HTTP here; a subscriber is any callback.
import type { AlertEvent, FleetEvent } from '../shared/events.js';
import type { Transition } from './alerts/engine.js';
import { OFFLINE_RULE_ID } from './alerts/rules.js';

export interface Subscriber {
  /** `json` is the event serialised once for every subscriber. */
  onEvent(event: FleetEvent, json: string): void;
  /** The bus is closing (backend shutdown): end the subscription. */
  onClose(): void;
}

export class EventBus {
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;

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

  publish(event: FleetEvent): void {
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

  /** Each alert transition, plus `online` when a device's offline alert recovered. */
  publishTransitions(device: string, transitions: readonly Transition[], timestamp: number): void {
    if (this.subscribers.size === 0) return;
    for (const t of transitions) {
      const event: AlertEvent = {
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
      };
      this.publish(event);
      if (t.rule === OFFLINE_RULE_ID) this.publish({ type: t.kind === 'fired' ? 'offline' : 'online', device, timestamp });
    }
  }

  close(): void {
    this.closed = true;
    for (const subscriber of this.subscribers) subscriber.onClose();
    this.subscribers.clear();
  }
}
