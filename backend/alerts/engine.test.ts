import { describe, expect, it } from 'vitest';
import type { MetricsPayload } from '../../shared/payload.js';
import { healthyExample, originalAlertTexts, originalExample } from '../test/payloads.js';
import { type ActiveAlert, type Transition, evaluateRules } from './engine.js';
import { DEFAULT_RULES } from './rules.js';

const healthy = (): MetricsPayload => structuredClone(healthyExample);

/** Apply transitions to an open-alert list, as the store does. */
function apply(active: ActiveAlert[], transitions: Transition[], now = 0): ActiveAlert[] {
  let next = [...active];
  for (const t of transitions) {
    if (t.kind === 'fired') next.push({ rule: t.rule, subject: t.subject, since: now });
    else next = next.filter((a) => !(a.rule === t.rule && a.subject === t.subject));
  }
  return next;
}

// Each rule with a payload exactly at its limit (must not fire) and just past it (must fire).
const boundaries: { rule: string; text: string; severity: string; at: (p: MetricsPayload) => void; past: (p: MetricsPayload) => void }[] = [
  { rule: 'cpu_high', text: 'High CPU usage', severity: 'critical', at: (p) => (p.cpu!.total_percent = 90), past: (p) => (p.cpu!.total_percent = 90.1) },
  { rule: 'memory_high', text: 'High Memory usage', severity: 'critical', at: (p) => (p.memory!.percent = 90), past: (p) => (p.memory!.percent = 90.1) },
  { rule: 'swap_high', text: 'High swap usage', severity: 'warning', at: (p) => (p.memory!.swap_percent = 50), past: (p) => (p.memory!.swap_percent = 50.1) },
  { rule: 'disk_space_low', text: 'Low Disk Space', severity: 'critical', at: (p) => (p.disks![0]!.percent = 90), past: (p) => (p.disks![0]!.percent = 90.1) },
  { rule: 'inode_high', text: 'High inode usage', severity: 'warning', at: (p) => (p.disks![0]!.inode_percent = 90), past: (p) => (p.disks![0]!.inode_percent = 90.1) },
  {
    rule: 'overheat',
    text: 'Overheat detected',
    severity: 'critical',
    at: (p) => (p.sensors_temperature!.coretemp![0]!.current = 85),
    past: (p) => (p.sensors_temperature!.coretemp![0]!.current = 85.1),
  },
  { rule: 'time_drift_high', text: 'High time drift', severity: 'warning', at: (p) => (p.time_drift!.drift_seconds = -60), past: (p) => (p.time_drift!.drift_seconds = -60.1) },
  {
    rule: 'network_inactive',
    text: 'All network interfaces inactive',
    severity: 'warning',
    at: (p) => (p.network = [{ name: 'eth0', bytes_recv: 0, bytes_sent: 1 }, { name: 'eth1', bytes_recv: 0, bytes_sent: 0 }]),
    past: (p) => (p.network = [{ name: 'eth0', bytes_recv: 0, bytes_sent: 0 }, { name: 'eth1', bytes_recv: 0, bytes_sent: 0 }]),
  },
  { rule: 'network_errors', text: 'Network interface errors detected', severity: 'warning', at: (p) => (p.network![0]!.errout = 100), past: (p) => (p.network![0]!.errout = 101) },
  { rule: 'custom_alert', text: 'Custom Alert triggered', severity: 'critical', at: (p) => (p.custom_alert = false), past: (p) => (p.custom_alert = true) },
  { rule: 'zombie_processes', text: 'Zombie processes detected', severity: 'warning', at: (p) => (p.zombie_processes = 0), past: (p) => (p.zombie_processes = 1) },
  {
    rule: 'critical_process_down',
    text: 'Critical process sshd is not running',
    severity: 'critical',
    at: (p) => (p.critical_processes!.sshd = true),
    past: (p) => (p.critical_processes!.sshd = false),
  },
];

describe('the 12 rules of the original alert table', () => {
  it('has exactly one boundary case per rule', () => {
    expect(boundaries.map((b) => b.rule).sort()).toEqual(DEFAULT_RULES.map((r) => r.id).sort());
  });

  for (const b of boundaries) {
    describe(b.rule, () => {
      it('does not fire at its limit', () => {
        const p = healthy();
        b.at(p);
        expect(evaluateRules([], p, DEFAULT_RULES)).toEqual([]);
      });

      it('fires just past its limit, once, with its text and severity', () => {
        const p = healthy();
        b.past(p);
        const fired = evaluateRules([], p, DEFAULT_RULES);
        expect(fired).toHaveLength(1);
        expect(fired[0]).toMatchObject({ kind: 'fired', rule: b.rule, alert: b.text, severity: b.severity });
        // Still past the limit: nothing new.
        expect(evaluateRules(apply([], fired), p, DEFAULT_RULES)).toEqual([]);
      });

      it('recovers with " - recovered" and severity warning when back at its limit', () => {
        const bad = healthy();
        b.past(bad);
        const open = apply([], evaluateRules([], bad, DEFAULT_RULES));
        const good = healthy();
        b.at(good);
        const recovered = evaluateRules(open, good, DEFAULT_RULES);
        expect(recovered).toEqual([expect.objectContaining({ kind: 'recovered', rule: b.rule, alert: `${b.text} - recovered`, severity: 'warning' })]);
        expect(apply(open, recovered)).toEqual([]);
      });
    });
  }
});

describe('evaluateRules', () => {
  it('fires the 12 alerts of the original table for its example payload, in table order', () => {
    const fired = evaluateRules([], originalExample, DEFAULT_RULES);
    expect(fired.map((t) => t.alert)).toEqual(originalAlertTexts);
    expect(fired.every((t) => t.kind === 'fired')).toBe(true);
  });

  it('records the value and threshold that decided an alert', () => {
    const [cpu] = evaluateRules([], originalExample, DEFAULT_RULES);
    expect(cpu).toMatchObject({ rule: 'cpu_high', subject: '', value: 95, threshold: 90 });
    const heat = evaluateRules([], originalExample, DEFAULT_RULES).find((t) => t.rule === 'overheat');
    expect(heat).toMatchObject({ subject: 'coretemp/Core 0', value: 90, threshold: 85 });
  });

  it('judges each disk, sensor, interface and process on its own', () => {
    const p = healthy();
    p.disks = [
      { mountpoint: '/', percent: 95 },
      { mountpoint: '/var', percent: 20 },
      { mountpoint: '/home', percent: 99 },
    ];
    const fired = evaluateRules([], p, DEFAULT_RULES);
    expect(fired.map((t) => [t.rule, t.subject])).toEqual([
      ['disk_space_low', '/'],
      ['disk_space_low', '/home'],
    ]);
    // /home recovers while / stays full: one recovery, for /home only.
    const open = apply([], fired);
    p.disks = [
      { mountpoint: '/', percent: 95 },
      { mountpoint: '/var', percent: 20 },
      { mountpoint: '/home', percent: 50 },
    ];
    expect(evaluateRules(open, p, DEFAULT_RULES).map((t) => [t.kind, t.subject])).toEqual([['recovered', '/home']]);
  });

  it('names unlabeled sensors and unnamed interfaces by position', () => {
    const p = healthy();
    p.sensors_temperature = { acpitz: [{ current: 99, high: 90 }] };
    p.network = [
      { bytes_recv: 1, bytes_sent: 1, errin: 0, errout: 0 },
      { bytes_recv: 1, bytes_sent: 1, errin: 500, errout: 0 },
    ];
    expect(evaluateRules([], p, DEFAULT_RULES).map((t) => t.subject)).toEqual(['acpitz/#0', '#1']);
  });

  it('ignores a sensor without a high limit', () => {
    const p = healthy();
    p.sensors_temperature = { acpitz: [{ label: 'x', current: 120, high: null, critical: 100 }] };
    expect(evaluateRules([], p, DEFAULT_RULES)).toEqual([]);
  });

  it('does not call a machine with no interfaces listed inactive', () => {
    const p = healthy();
    p.network = [];
    expect(evaluateRules([], p, DEFAULT_RULES)).toEqual([]);
  });

  it('recovers an open problem whose subject is gone from the payload', () => {
    const open: ActiveAlert[] = [
      { rule: 'disk_space_low', subject: '/mnt/usb', since: 1 },
      { rule: 'critical_process_down', subject: 'postgres', since: 1 },
    ];
    const transitions = evaluateRules(open, healthy(), DEFAULT_RULES);
    expect(transitions).toEqual([
      { kind: 'recovered', rule: 'disk_space_low', subject: '/mnt/usb', alert: 'Low Disk Space - recovered', severity: 'warning', value: null, threshold: null },
      {
        kind: 'recovered',
        rule: 'critical_process_down',
        subject: 'postgres',
        alert: 'Critical process postgres is not running - recovered',
        severity: 'warning',
        value: null,
        threshold: null,
      },
    ]);
  });

  it('treats a subject listed twice as one instance, firing if either reading fires', () => {
    const p = healthy();
    p.disks = [
      { mountpoint: '/', percent: 10 },
      { mountpoint: '/', percent: 95 },
    ];
    expect(evaluateRules([], p, DEFAULT_RULES).map((t) => [t.rule, t.subject, t.value])).toEqual([['disk_space_low', '/', 95]]);
  });
});
