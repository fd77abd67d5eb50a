// Gauges of the parts that live beside ingest: the notification outbox and the live event stream.
import { Gauge } from 'prom-client';
import type { EventBus } from '../events.js';
import type { Db } from '../store/db.js';
import { outboxDepthQuery } from '../store/notifications.js';
import type { SelfMetrics } from './self.js';

export function registerPartMetrics(self: SelfMetrics, db: Db, events: EventBus): void {
  const registers = [self.registry];
  const pending = new Gauge({ name: 'fleetmon_outbox_pending', help: 'Notifications waiting to be delivered, by receiver.', labelNames: ['receiver'], registers });
  const failing = new Gauge({
    name: 'fleetmon_outbox_failing',
    help: 'Notifications waiting whose delivery failed at least once (the receiver refused them or was down), by receiver.',
    labelNames: ['receiver'],
    registers,
  });
  new Gauge({
    name: 'fleetmon_events_clients',
    help: 'Clients connected to GET /events (open dashboards).',
    registers,
    collect() {
      this.set(events.subscriberCount);
    },
  });
  self.collectors.push(async () => {
    pending.reset();
    failing.reset();
    for (const row of await outboxDepthQuery(db).execute()) {
      pending.set({ receiver: row.receiver }, Number(row.pending));
      failing.set({ receiver: row.receiver }, Number(row.failing ?? 0));
    }
  });
}
