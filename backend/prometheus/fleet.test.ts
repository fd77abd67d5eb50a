import { describe, expect, it } from 'vitest';
import { builtInRules } from '../alerts/rule-set.js';
import type { OpenProblem } from '../store/alerts.js';
import type { DeviceWithLatest } from '../store/devices.js';
import { escapeLabelValue } from './exposition.js';
import { renderFleet } from './fleet.js';

const NOW = 1_700_000_000;
const rules = builtInRules();

const device = (id: string, payload: object | null, lastSeen = NOW - 5): DeviceWithLatest => ({
  id,
  first_seen: NOW - 1000,
  last_seen: lastSeen,
  latest_sample_id: 1,
  interval_seconds: 10,
  rollup_dirty_from: null,
  latest_timestamp: payload === null ? null : lastSeen,
  latest_payload: payload === null ? null : JSON.stringify({ agent_id: id, ...payload }),
  active_alerts: 0,
}) as DeviceWithLatest;

const lines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

describe('renderFleet', () => {
  it('names and labels the series in node_exporter style, percents as ratios', () => {
    const text = renderFleet(
      [
        device('web-1', {
          cpu: { total_percent: 33.3 },
          memory: { percent: 50, swap_percent: null },
          disks: [{ mountpoint: '/', percent: 91, inode_percent: 2 }],
          sensors_temperature: { coretemp: [{ label: 'Core 0', current: 71.5 }, { label: '', current: 40 }] },
          network: [{ name: 'eth0', bytes_recv: 1000, bytes_sent: 2000, errin: 0, errout: null }],
          gpus: [{ index: 0, utilization_percent: 12, memory_used_mb: 1, temperature_C: 60 }],
          zombie_processes: 2,
          time_drift: { drift_seconds: -0.25 },
          custom_alert: false,
          critical_processes: { nginx: true, cron: false, sshd: null },
        }),
      ],
      [],
      () => rules.forDevice('web-1'),
      NOW,
    );
    const got = lines(text);
    expect(got).toEqual(
      expect.arrayContaining([
        'fleetmon_device_up{device="web-1"} 1',
        'fleetmon_cpu_usage_ratio{device="web-1"} 0.333',
        'fleetmon_memory_used_ratio{device="web-1"} 0.5',
        'fleetmon_filesystem_used_ratio{device="web-1",mountpoint="/"} 0.91',
        'fleetmon_filesystem_inodes_used_ratio{device="web-1",mountpoint="/"} 0.02',
        'fleetmon_temperature_celsius{device="web-1",chip="coretemp",sensor="Core 0"} 71.5',
        'fleetmon_temperature_celsius{device="web-1",chip="coretemp",sensor="#1"} 40',
        'fleetmon_network_receive_bytes{device="web-1",interface="eth0"} 1000',
        'fleetmon_network_transmit_bytes{device="web-1",interface="eth0"} 2000',
        'fleetmon_network_receive_errors{device="web-1",interface="eth0"} 0',
        'fleetmon_gpu_utilization_ratio{device="web-1",gpu="0"} 0.12',
        'fleetmon_gpu_memory_used_bytes{device="web-1",gpu="0"} 1048576',
        'fleetmon_gpu_temperature_celsius{device="web-1",gpu="0"} 60',
        'fleetmon_zombie_processes{device="web-1"} 2',
        'fleetmon_clock_drift_seconds{device="web-1"} -0.25',
        'fleetmon_custom_alert{device="web-1"} 0',
        'fleetmon_critical_process_up{device="web-1",process="nginx"} 1',
        'fleetmon_critical_process_up{device="web-1",process="cron"} 0',
      ]),
    );
    // Not measured: no series at all.
    expect(text).not.toMatch(/swap_used_ratio|transmit_errors|sshd/);
    // Every family's HELP and TYPE once.
    expect(text.match(/^# TYPE fleetmon_temperature_celsius gauge$/gm)).toHaveLength(1);
  });

  it('says 0 for a device silent past its offline limit, and lists open alerts', () => {
    const problems = [{ device_id: 'db-1', rule: 'disk_full', subject: '/var', severity: 'critical' }] as OpenProblem[];
    const text = renderFleet([device('db-1', null, NOW - 3600)], problems, () => rules.forDevice('db-1'), NOW);
    expect(lines(text)).toEqual([
      'fleetmon_device_up{device="db-1"} 0',
      'fleetmon_device_interval_seconds{device="db-1"} 10',
      'fleetmon_alert_active{device="db-1",rule="disk_full",subject="/var",severity="critical"} 1',
    ]);
  });

  it('writes a subject named twice in one sample once (two sockets both saying coretemp/Core 0)', () => {
    const text = renderFleet(
      [device('x', { sensors_temperature: { coretemp: [{ label: 'Core 0', current: 50 }, { label: 'Core 0', current: 60 }] }, disks: [{ mountpoint: '/', percent: 1 }, { mountpoint: '/', percent: 2 }] })],
      [],
      () => [],
      NOW,
    );
    expect(lines(text).filter((l) => l.startsWith('fleetmon_temperature_celsius'))).toEqual(['fleetmon_temperature_celsius{device="x",chip="coretemp",sensor="Core 0"} 50']);
    expect(lines(text).filter((l) => l.startsWith('fleetmon_filesystem_used_ratio'))).toHaveLength(1);
  });

  it('escapes label values and puts the sample time on sample series when asked', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = renderFleet([device('x', { disks: [{ mountpoint: '/mnt/"odd"\\dir', percent: 1 }] })], [], () => [], NOW, { sampleTimestamps: true });
    expect(lines(text)).toContain(`fleetmon_filesystem_used_ratio{device="x",mountpoint="/mnt/\\"odd\\"\\\\dir"} 0.01 ${(NOW - 5) * 1000}`);
    // No offline rule: never offline; device_up carries no timestamp (it is judged now).
    expect(lines(text)).toContain('fleetmon_device_up{device="x"} 1');
  });
});
