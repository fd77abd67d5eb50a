// The simulated machines: deterministic, valid, varied, and faulty in exactly the ways the alert
// table knows, each fault firing its rule and then recovering. Judged by the real alert engine.
import { describe, expect, it } from 'vitest';
import { type ActiveAlert, type AlertState, evaluateRules } from '../../backend/alerts/engine.js';
import { DEFAULT_RULES, OFFLINE_RULE_ID } from '../../backend/alerts/rules.js';
import { type MetricsPayload, metricsPayloadSchema } from '../../shared/payload.js';
import { FAULT_KINDS, FAULT_RULES, type SimulatedMachine, createSimulatedFleet, createSimulatedMachine, faultStartProbability } from './machine.js';
import { createRng } from './random.js';

const start = 1_700_000_000;
const fleet = (agents: number, seed: number, faultRate: number) =>
  createSimulatedFleet({ agents, seed, faultRate, intervalSeconds: 10, idPrefix: 'sim' });
const samples = (machine: SimulatedMachine, ticks: number): MetricsPayload[] =>
  Array.from({ length: ticks }, (_, t) => machine.next(start + t * 10));

const TABLE_RULES = DEFAULT_RULES.filter((r) => r.id !== OFFLINE_RULE_ID);

/** Runs each machine's samples through the alert engine, as the backend does. */
function judge(machines: SimulatedMachine[], ticks: number, onTick?: (machine: SimulatedMachine, firing: Set<string>) => void) {
  const fired = new Map<string, number>();
  const recovered = new Map<string, number>();
  for (const machine of machines) {
    let state: AlertState = { active: [], pending: [] };
    for (let t = 0; t < ticks; t++) {
      const now = start + t * 10;
      const { transitions } = evaluateRules(state, machine.next(now), TABLE_RULES, now);
      let active: ActiveAlert[] = [...state.active];
      for (const tr of transitions) {
        const tally = tr.kind === 'fired' ? fired : recovered;
        tally.set(tr.rule, (tally.get(tr.rule) ?? 0) + 1);
        if (tr.kind === 'fired') active.push({ rule: tr.rule, subject: tr.subject, since: now });
        else active = active.filter((a) => !(a.rule === tr.rule && a.subject === tr.subject));
      }
      state = { active, pending: [] };
      onTick?.(machine, new Set(active.map((a) => a.rule)));
    }
  }
  return { fired, recovered };
}

describe('createRng', () => {
  it('repeats its sequence for a seed and keeps its helpers in range', () => {
    const a = createRng(42);
    const b = createRng(42);
    const seqA = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(seqA);
    expect(seqA).not.toEqual(Array.from({ length: 100 }, createRng(43).next));
    const rng = createRng(1);
    for (let i = 0; i < 10_000; i++) {
      const x = rng.next();
      expect(x >= 0 && x < 1).toBe(true);
      const n = rng.int(3, 12);
      expect(Number.isInteger(n) && n >= 3 && n <= 12).toBe(true);
    }
    const picks = new Set(Array.from({ length: 1000 }, () => rng.pick(['a', 'b', 'c'])));
    expect([...picks].sort()).toEqual(['a', 'b', 'c']);
    expect(new Set(rng.pickSome([1, 2, 3, 4, 5], 3)).size).toBe(3);
    const normals = Array.from({ length: 20_000 }, () => rng.normal());
    const mean = normals.reduce((s, x) => s + x, 0) / normals.length;
    const variance = normals.reduce((s, x) => s + (x - mean) ** 2, 0) / normals.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

describe('createSimulatedMachine', () => {
  it('gives the same samples for the same seed, and different ones for another seed', () => {
    const options = { faultRate: 0.3, intervalSeconds: 10 };
    const one = samples(createSimulatedMachine('m', createRng(7), options), 50);
    const again = samples(createSimulatedMachine('m', createRng(7), options), 50);
    const other = samples(createSimulatedMachine('m', createRng(8), options), 50);
    expect(again).toEqual(one);
    expect(other).not.toEqual(one);
    // Whole fleets too, and a machine does not depend on the size of its fleet.
    expect(fleet(20, 5, 0.1).map((m) => samples(m, 5))).toEqual(fleet(20, 5, 0.1).map((m) => samples(m, 5)));
    expect(samples(fleet(3, 5, 0.1)[2]!, 5)).toEqual(samples(fleet(30, 5, 0.1)[2]!, 5));
  });

  it('sends payloads the backend accepts: 1000 machines x 50 samples', () => {
    const ids = new Set<string>();
    for (const machine of fleet(1000, 42, 0.2)) {
      for (const payload of samples(machine, 50)) {
        const parsed = metricsPayloadSchema.safeParse(payload);
        if (!parsed.success) throw new Error(`${machine.id}: ${JSON.stringify(parsed.error.issues)}\n${JSON.stringify(payload)}`);
        ids.add(`${payload.agent_id}/${payload.sample_id}`);
      }
    }
    expect(ids.size).toBe(1000 * 50);
  });

  it('fills in every field like the real agent', () => {
    const [payload] = samples(fleet(1, 1, 0)[0]!, 1);
    expect(payload).toMatchObject({
      agent_id: 'sim-0001',
      cpu: { total_percent: expect.any(Number), per_core_percent: expect.any(Array), load_average: expect.any(Array) },
      memory: { percent: expect.any(Number), swap_percent: expect.any(Number) },
      disks: expect.arrayContaining([expect.objectContaining({ mountpoint: '/', total_bytes: expect.any(Number), used_bytes: expect.any(Number) })]),
      sensors_temperature: { coretemp: expect.arrayContaining([expect.objectContaining({ label: 'Package id 0' })]) },
      time_drift: { drift_seconds: expect.any(Number) },
      network: expect.arrayContaining([expect.objectContaining({ name: expect.any(String), bytes_recv: expect.any(Number), errin: 0 })]),
      custom_alert: false,
      zombie_processes: 0,
      critical_processes: expect.any(Object),
      host: { os: expect.any(String), kernel: expect.any(String), arch: 'x64', cpu_model: expect.any(String), cpu_cores: expect.any(Number) },
      sample_id: expect.any(String),
      interval_seconds: 10,
    });
    expect(payload!.cpu!.per_core_percent).toHaveLength(payload!.host!.cpu_cores!);
  });

  it('draws varied machines', () => {
    const machines = fleet(500, 3, 0);
    const layouts = (describe: (p: SimulatedMachine['profile']) => string) => new Set(machines.map((m) => describe(m.profile))).size;
    expect(layouts((p) => p.disks.map((d) => d.mountpoint).join(','))).toBeGreaterThan(20);
    expect(layouts((p) => Object.entries(p.sensors).map(([chip, s]) => `${chip}:${s.length}`).join(','))).toBeGreaterThan(20);
    expect(layouts((p) => p.interfaces.map((i) => i.name).join(','))).toBeGreaterThan(30);
    expect(layouts((p) => p.criticalProcesses.join(','))).toBeGreaterThan(5);
    expect(layouts((p) => `${p.host.os} ${p.host.kernel}`)).toBeGreaterThan(10);
    const diskCounts = new Set(machines.map((m) => m.profile.disks.length));
    expect([...diskCounts].sort()).toEqual([1, 2, 3, 4]);
    const coreSensors = machines.map((m) => m.profile.sensors.coretemp!.filter((s) => s.label.startsWith('Core ')).length);
    expect(Math.min(...coreSensors)).toBe(2);
    expect(Math.max(...coreSensors)).toBe(16);
    // Values move from sample to sample.
    const cpu = samples(machines[0]!, 30).map((p) => p.cpu!.total_percent);
    expect(new Set(cpu).size).toBeGreaterThan(20);
  });

  it('crosses every rule of the table with faults, and each alert recovers', () => {
    const machines = fleet(300, 11, 0.1);
    let faulty = 0;
    let total = 0;
    const { fired, recovered } = judge(machines, 300, (machine, firing) => {
      total += 1;
      if (machine.fault) faulty += 1;
      // A fault crosses its own rule and no other; a healthy machine crosses none.
      const allowed = machine.fault ? [FAULT_RULES[machine.fault]] : [];
      for (const rule of firing) expect(allowed, `${machine.id} in fault ${machine.fault}`).toContain(rule);
    });
    for (const rule of TABLE_RULES.map((r) => r.id)) {
      expect(fired.get(rule) ?? 0, `${rule} fired`).toBeGreaterThan(0);
      expect(recovered.get(rule) ?? 0, `${rule} recovered`).toBeGreaterThan(0);
    }
    expect(Object.values(FAULT_RULES).sort()).toEqual(TABLE_RULES.map((r) => r.id).sort());
    // --faults 0.1 means about a tenth of the fleet in trouble at any time.
    expect(faulty / total).toBeGreaterThan(0.08);
    expect(faulty / total).toBeLessThan(0.12);
    const started = machines.reduce((sum, m) => sum + m.faultsStarted, 0);
    expect(started).toBeGreaterThan(300 * 300 * faultStartProbability(0.1) * 0.8);
    expect(FAULT_KINDS).toHaveLength(12);
  });

  it('keeps a healthy fleet silent: no alert of any rule without faults', () => {
    const { fired } = judge(fleet(500, 99, 0), 300);
    expect(Object.fromEntries(fired)).toEqual({});
  });
});
