// Payloads used across the backend tests.
import type { MetricsPayload } from '../../shared/payload.js';

/** The request example of the original system's documentation, verbatim: it trips all 12 rules. */
export const originalExample = {
  agent_id: 'demo-agent',
  cpu: { total_percent: 95 },
  memory: { percent: 92, swap_percent: 55 },
  disks: [{ mountpoint: '/', percent: 95, inode_percent: 95 }],
  sensors_temperature: {
    coretemp: [{ label: 'Core 0', current: 90, high: 85 }],
  },
  time_drift: { drift_seconds: 120 },
  network: [{ bytes_recv: 0, bytes_sent: 0, errin: 150, errout: 0 }],
  custom_alert: true,
  zombie_processes: 2,
  critical_processes: { nginx: false, sshd: true },
} satisfies MetricsPayload;

/** The same machine with every value back to normal. */
export const healthyExample = {
  agent_id: 'demo-agent',
  cpu: { total_percent: 12 },
  memory: { percent: 40, swap_percent: 0 },
  disks: [{ mountpoint: '/', percent: 41, inode_percent: 3 }],
  sensors_temperature: {
    coretemp: [{ label: 'Core 0', current: 45, high: 85 }],
  },
  time_drift: { drift_seconds: 0.2 },
  network: [{ bytes_recv: 1200, bytes_sent: 800, errin: 0, errout: 0 }],
  custom_alert: false,
  zombie_processes: 0,
  critical_processes: { nginx: true, sshd: true },
} satisfies MetricsPayload;

/** The 12 alert texts of the original's table, for the example above. */
export const originalAlertTexts = [
  'High CPU usage',
  'High Memory usage',
  'High swap usage',
  'Low Disk Space',
  'High inode usage',
  'Overheat detected',
  'High time drift',
  'All network interfaces inactive',
  'Network interface errors detected',
  'Custom Alert triggered',
  'Zombie processes detected',
  'Critical process nginx is not running',
];

export function withAgent<T extends { agent_id: string }>(payload: T, agentId: string): T {
  return { ...payload, agent_id: agentId };
}
