import { describe, expect, it } from 'vitest';
import type { MetricsPayload } from '../../shared/payload.js';
import { healthyExample, originalAlertTexts, originalExample } from '../test/payloads.js';
import { type ActiveAlert, type Transition, evaluateRules } from './engine.js';
import { DEFAULT_RULES } from './rules.js';

const healthy = (): MetricsPayload => structuredClone(healthyExample);

/** The original rules on one payload, nothing pending. */
const transitionsOf = (active: ActiveAlert[], payload: MetricsPayload) => evaluateRules({ active, pending: [] }, payload, DEFAULT_RULES, 0).transitions;

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
  it('has exactly one boundary case per rule of the original table', () => {
    const original = DEFAULT_RULES.filter((r) => r.id !== 'device_offline');
    expect(boundaries.map((b) => b.rule).sort()).toEqual(original.map((r) => r.id).sort());
  });

  for (const b of boundaries) {
    describe(b.rule, () => {
      it('does not fire at its limit', () => {
        const p = healthy();
        b.at(p);
        expect(transitionsOf([], p)).toEqual([]);
      });

      it('fires just past its limit, once, with its text and severity', () => {
        const p = healthy();
        b.past(p);
        const fired = transitionsOf([], p);
        expect(fired).toHaveLength(1);
        expect(fired[0]).toMatchObject({ kind: 'fired', rule: b.rule, alert: b.text, severity: b.severity });
        // Still past the limit: nothing new.
        expect(transitionsOf(apply([], fired), p)).toEqual([]);
      });

      it('recovers with " - recovered" and severity warning when back at its limit', () => {
        const bad = healthy();
        b.past(bad);
        const open = apply([], transitionsOf([], bad));
        const good = healthy();
        b.at(good);
        const recovered = transitionsOf(open, good);
        expect(recovered).toEqual([expect.objectContaining({ kind: 'recovered', rule: b.rule, alert: `${b.text} - recovered`, severity: 'warning' })]);
        expect(apply(open, recovered)).toEqual([]);
      });
    });
  }
});

describe('evaluateRules', () => {
  it('fires the 12 alerts of the original table for its example payload, in table order', () => {
    const fired = transitionsOf([], originalExample);
    expect(fired.map((t) => t.alert)).toEqual(originalAlertTexts);
    expect(fired.every((t) => t.kind === 'fired')).toBe(true);
  });

  it('records the value and threshold that decided an alert', () => {
    const [cpu] = transitionsOf([], originalExample);
    expect(cpu).toMatchObject({ rule: 'cpu_high', subject: '', value: 95, threshold: 90 });
    const heat = transitionsOf([], originalExample).find((t) => t.rule === 'overheat');
    expect(heat).toMatchObject({ subject: 'coretemp/Core 0', value: 90, threshold: 85 });
  });

  it('judges each disk, sensor, interface and process on its own', () => {
    const p = healthy();
    p.disks = [
      { mountpoint: '/', percent: 95 },
      { mountpoint: '/var', percent: 20 },
      { mountpoint: '/home', percent: 99 },
    ];
    const fired = transitionsOf([], p);
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
    expect(transitionsOf(open, p).map((t) => [t.kind, t.subject])).toEqual([['recovered', '/home']]);
  });

  it('names unlabeled sensors and unnamed interfaces by position', () => {
    const p = healthy();
    p.sensors_temperature = { acpitz: [{ current: 99, high: 90 }] };
    p.network = [
      { bytes_recv: 1, bytes_sent: 1, errin: 0, errout: 0 },
      { bytes_recv: 1, bytes_sent: 1, errin: 500, errout: 0 },
    ];
    expect(transitionsOf([], p).map((t) => t.subject)).toEqual(['acpitz/#0', '#1']);
  });

  it('judges a sensor without a high limit against 80 °C, as the original does', () => {
    const p = healthy();
    p.sensors_temperature = { acpitz: [{ label: 'x', current: 80, high: null, critical: 100 }], nvme: [{ label: '', current: 80.5 }] };
    expect(transitionsOf([], p).map((t) => [t.subject, t.value, t.threshold])).toEqual([['nvme/#0', 80.5, 80]]);
  });

  it('does not call a machine with no interfaces listed inactive', () => {
    const p = healthy();
    p.network = [];
    expect(transitionsOf([], p)).toEqual([]);
  });

  it('recovers an open problem whose subject is gone from the payload', () => {
    const open: ActiveAlert[] = [
      { rule: 'disk_space_low', subject: '/mnt/usb', since: 1 },
      { rule: 'critical_process_down', subject: 'postgres', since: 1 },
    ];
    const transitions = transitionsOf(open, healthy());
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
    expect(transitionsOf([], p).map((t) => [t.rule, t.subject, t.value])).toEqual([['disk_space_low', '/', 95]]);
  });
});

// For each rule: ways the original's agent (or ours, when a collector fails) leaves a value unmeasured.
const unmeasured: { rule: string; subject: string; ways: [string, (p: MetricsPayload) => void][] }[] = [
  { rule: 'cpu_high', subject: '', ways: [['cpu absent', (p) => delete p.cpu], ['cpu null', (p) => (p.cpu = null)], ['total_percent null', (p) => (p.cpu = { total_percent: null })]] },
  { rule: 'memory_high', subject: '', ways: [['memory absent', (p) => delete p.memory], ['percent null', (p) => (p.memory!.percent = null)]] },
  { rule: 'swap_high', subject: '', ways: [['swap_percent absent', (p) => delete p.memory!.swap_percent], ['swap_percent null', (p) => (p.memory!.swap_percent = null)]] },
  { rule: 'disk_space_low', subject: '/', ways: [['disks absent', (p) => delete p.disks], ['disks null', (p) => (p.disks = null)], ['percent null', (p) => (p.disks![0]!.percent = null)]] },
  { rule: 'inode_high', subject: '/', ways: [['disks absent', (p) => delete p.disks], ['inode_percent null (statvfs failed)', (p) => (p.disks![0]!.inode_percent = null)], ['inode_percent absent', (p) => delete p.disks![0]!.inode_percent]] },
  { rule: 'overheat', subject: 'coretemp/Core 0', ways: [['sensors absent', (p) => delete p.sensors_temperature], ['current null', (p) => (p.sensors_temperature!.coretemp![0]!.current = null)]] },
  { rule: 'time_drift_high', subject: '', ways: [['time_drift {} (no reference clock)', (p) => (p.time_drift = {})], ['time_drift absent', (p) => delete p.time_drift], ['drift_seconds null', (p) => (p.time_drift = { drift_seconds: null })]] },
  { rule: 'network_inactive', subject: '', ways: [['network absent', (p) => delete p.network], ['all counters null', (p) => (p.network = [{ interface: 'eth0', bytes_recv: null, bytes_sent: null }])]] },
  { rule: 'network_errors', subject: 'eth0', ways: [['network absent', (p) => delete p.network], ['errin and errout null', (p) => (p.network = [{ interface: 'eth0', bytes_recv: 5, bytes_sent: 5, errin: null, errout: null }])]] },
  { rule: 'custom_alert', subject: '', ways: [['custom_alert absent', (p) => delete p.custom_alert], ['custom_alert null', (p) => (p.custom_alert = null)]] },
  { rule: 'zombie_processes', subject: '', ways: [['absent', (p) => delete p.zombie_processes], ['null', (p) => (p.zombie_processes = null)]] },
  { rule: 'critical_process_down', subject: 'nginx', ways: [['critical_processes absent', (p) => delete p.critical_processes], ['nginx null', (p) => (p.critical_processes!.nginx = null)]] },
];

describe('not measured is not healthy', () => {
  it('covers every rule of the original table', () => {
    expect(unmeasured.map((u) => u.rule).sort()).toEqual(boundaries.map((b) => b.rule).sort());
  });

  for (const { rule, subject, ways } of unmeasured) {
    for (const [way, unmeasure] of ways) {
      it(`${rule}: ${way} keeps the open problem open and starts none`, () => {
        const p = structuredClone(originalExample) as MetricsPayload;
        p.network = [{ interface: 'eth0', bytes_recv: 0, bytes_sent: 0, errin: 150, errout: 0 }];
        unmeasure(p);
        expect(transitionsOf([{ rule, subject, since: 0 }], p).filter((t) => t.rule === rule)).toEqual([]);
        const fresh = evaluateRules({ active: [], pending: [{ rule, subject, since: 0 }] }, p, DEFAULT_RULES, 10);
        expect(fresh.transitions.filter((t) => t.rule === rule)).toEqual([]);
        expect(fresh.pendingEnded.filter((t) => t.rule === rule)).toEqual([]);
      });
    }
  }

  it('still recovers a subject that left a list the payload sent', () => {
    const p = healthy();
    p.disks = [{ mountpoint: '/', percent: 40, inode_percent: null }];
    const open = [
      { rule: 'inode_high', subject: '/', since: 0 },
      { rule: 'disk_space_low', subject: '/data', since: 0 },
    ];
    expect(transitionsOf(open, p).map((t) => [t.kind, t.rule, t.subject])).toEqual([['recovered', 'disk_space_low', '/data']]);
  });

  it('reads the interface name from `interface`, as the original agent sends it', () => {
    const p = healthy();
    p.network = [{ interface: 'lo', bytes_recv: 9, bytes_sent: 9, errin: 0, errout: 0 }, { interface: 'enp3s0', bytes_recv: 9, bytes_sent: 9, errin: 101, errout: 0 }];
    expect(transitionsOf([], p).map((t) => t.subject)).toEqual(['enp3s0']);
  });
});

describe('rules changed by a rules file', () => {
  const cpuRule = DEFAULT_RULES.find((r) => r.id === 'cpu_high')!;
  const withCpu = (percent: number): MetricsPayload => ({ agent_id: 'h', cpu: { total_percent: percent } });

  it('with for:, holds a problem as pending and fires once it has lasted that long, dated from its start', () => {
    const rules = [{ ...cpuRule, forSeconds: 120 }];
    const first = evaluateRules({ active: [], pending: [] }, withCpu(95), rules, 1000);
    expect(first).toEqual({ transitions: [], pendingStarted: [{ rule: 'cpu_high', subject: '', since: 1000 }], pendingEnded: [] });
    const pending = first.pendingStarted;
    expect(evaluateRules({ active: [], pending }, withCpu(95), rules, 1119)).toEqual({ transitions: [], pendingStarted: [], pendingEnded: [] });
    const fired = evaluateRules({ active: [], pending }, withCpu(96), rules, 1120);
    expect(fired.transitions).toEqual([expect.objectContaining({ kind: 'fired', rule: 'cpu_high', value: 96, since: 1000 })]);
    expect(fired.pendingEnded).toEqual(pending);
  });

  it('with for:, forgets a problem that clears before its time', () => {
    const rules = [{ ...cpuRule, forSeconds: 120 }];
    const pending = [{ rule: 'cpu_high', subject: '', since: 1000 }];
    expect(evaluateRules({ active: [], pending }, withCpu(50), rules, 1060)).toEqual({ transitions: [], pendingStarted: [], pendingEnded: pending });
  });

  it('with clear_below, recovers only at or below the lower value (no flapping)', () => {
    const rules = [{ ...cpuRule, clearBelow: 80 }];
    const active = [{ rule: 'cpu_high', subject: '', since: 0 }];
    expect(evaluateRules({ active, pending: [] }, withCpu(85), rules, 10).transitions).toEqual([]);
    expect(evaluateRules({ active, pending: [] }, withCpu(80), rules, 20).transitions).toEqual([
      expect.objectContaining({ kind: 'recovered', alert: 'High CPU usage - recovered', value: 80 }),
    ]);
  });

  it('with a changed threshold and severity, judges by them', () => {
    const rules = [{ ...cpuRule, threshold: 97, severity: 'warning' as const }];
    expect(evaluateRules({ active: [], pending: [] }, withCpu(96), rules, 0).transitions).toEqual([]);
    expect(evaluateRules({ active: [], pending: [] }, withCpu(98), rules, 0).transitions).toEqual([
      expect.objectContaining({ kind: 'fired', severity: 'warning', threshold: 97 }),
    ]);
  });

  it('disabled, fires nothing and recovers what it had open', () => {
    const rules = [{ ...cpuRule, enabled: false }];
    expect(evaluateRules({ active: [], pending: [] }, withCpu(99), rules, 0).transitions).toEqual([]);
    const open = evaluateRules({ active: [{ rule: 'cpu_high', subject: '', since: 0 }], pending: [] }, withCpu(99), rules, 5);
    expect(open.transitions).toEqual([expect.objectContaining({ kind: 'recovered', rule: 'cpu_high', value: null })]);
  });
});
