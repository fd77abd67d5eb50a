// What GET /events streams (Server-Sent Events): the backend publishes these, the dashboard reads
// them. Types only, so the browser bundle and the backend share one definition.

/** A new sample's headline values (as GET /devices shows them under `latest`). */
export interface SampleEvent {
  type: 'sample';
  device: string;
  timestamp: number;
  cpu_percent: number | null;
  memory_percent: number | null;
  swap_percent: number | null;
  fullest_disk: { mountpoint: string; percent: number } | null;
  hottest_sensor: { sensor: string; current: number } | null;
  /** The busiest GPU (by utilization), or null without GPUs. */
  busiest_gpu: { name: string; utilization_percent: number | null; temperature_c: number | null } | null;
}

/** An alert fired or recovered (as GET /alerts lists them). */
export interface AlertEvent {
  type: 'alert';
  device: string;
  kind: 'fired' | 'recovered';
  rule: string;
  subject: string;
  alert: string;
  severity: 'critical' | 'warning';
  value: number | null;
  threshold: number | null;
  timestamp: number;
}

/** A device fell silent past its limit (`offline`), or reported again after that (`online`). */
export interface PresenceEvent {
  type: 'offline' | 'online';
  device: string;
  timestamp: number;
}

export type FleetEvent = SampleEvent | AlertEvent | PresenceEvent;
