// The fleet as the pages show it: GET /devices and GET /alerts/active once, then kept current by
// GET /events. Events are applied to plain maps at once; pages re-render at most a few times a
// second, whatever the event rate (1,000 devices every 10 s are 100 events a second).
import {
  type Device,
  type FleetEvent,
  type Problem,
  Unauthorized,
  connection,
  eventsUrl,
  getJson,
  updateConnection,
} from './api.js';

export type Status = 'problems' | 'offline' | 'online';

export const fleet = {
  devices: new Map<string, Device>(),
  /** Open problems by device. */
  problems: new Map<string, Problem[]>(),
  loaded: false,
  loadError: null as string | null,
  /** Bumped on every change; pages compare it to decide whether to re-render. */
  version: 0,
};

export function statusOf(device: Device): Status {
  if (device.status === 'offline') return 'offline';
  return (fleet.problems.get(device.id)?.length ?? 0) > 0 ? 'problems' : 'online';
}

const listeners = new Set<() => void>();
let renderScheduled = false;

export function onFleetChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

function changed(): void {
  fleet.version++;
  if (renderScheduled) return;
  renderScheduled = true;
  setTimeout(() => {
    renderScheduled = false;
    for (const listener of listeners) listener();
  }, 200);
}

export async function loadFleet(): Promise<void> {
  try {
    const [devices, problems] = await Promise.all([getJson<Device[]>('/devices'), getJson<Problem[]>('/alerts/active')]);
    fleet.devices = new Map(devices.body.map((d) => [d.id, d]));
    fleet.problems = new Map();
    for (const p of problems.body) fleet.problems.set(p.device, [...(fleet.problems.get(p.device) ?? []), p]);
    fleet.loaded = true;
    fleet.loadError = null;
  } catch (err) {
    if (!(err instanceof Unauthorized)) fleet.loadError = err instanceof Error ? err.message : String(err);
  }
  changed();
}

let unknownDeviceReload: ReturnType<typeof setTimeout> | undefined;

function applyEvent(event: FleetEvent): void {
  const device = fleet.devices.get(event.device);
  if (!device) {
    // A device reporting for the first time: read the list again (once for a burst of them).
    unknownDeviceReload ??= setTimeout(() => {
      unknownDeviceReload = undefined;
      void loadFleet();
    }, 500);
    return;
  }
  switch (event.type) {
    case 'sample': {
      const { type: _type, device: _device, ...latest } = event;
      fleet.devices.set(device.id, { ...device, latest, last_seen: Math.max(device.last_seen, event.timestamp) });
      break;
    }
    case 'alert': {
      const open = fleet.problems.get(event.device) ?? [];
      const rest = open.filter((p) => !(p.rule === event.rule && p.subject === event.subject));
      if (event.kind === 'fired') {
        rest.push({
          device: event.device,
          alert: event.alert,
          severity: event.severity,
          since: event.timestamp,
          rule: event.rule,
          subject: event.subject,
          value: event.value,
          threshold: event.threshold,
          alert_id: 0,
        });
      }
      fleet.problems.set(event.device, rest);
      fleet.devices.set(device.id, { ...device, active_alerts: rest.length });
      break;
    }
    case 'offline':
    case 'online':
      fleet.devices.set(device.id, { ...device, status: event.type });
      break;
  }
  changed();
}

let source: EventSource | undefined;

/** Open the event stream; EventSource reconnects by itself, and each (re)connection reloads the fleet. */
export function connectEvents(): void {
  source?.close();
  const es = new EventSource(eventsUrl());
  source = es;
  es.onopen = () => {
    updateConnection({ streamOpen: true });
    // What happened while we were away is read afresh.
    void loadFleet();
  };
  es.onerror = () => {
    updateConnection({ streamOpen: false });
    // Is the backend gone, or only the stream? The banner shows when the fetch fails too.
    getJson('/health').catch(() => {});
    // A refused stream (a 401, a proxy's error page) is not retried by EventSource itself.
    if (es.readyState === EventSource.CLOSED && source === es) setTimeout(() => source === es && connectEvents(), 3000);
  };
  for (const type of ['sample', 'alert', 'offline', 'online']) {
    es.addEventListener(type, (message) => applyEvent(JSON.parse((message as MessageEvent<string>).data) as FleetEvent));
  }
}

export const backendUnreachable = (): boolean => !connection.streamOpen && connection.lastFetchFailed;
