import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers.js';
import { RulesFileError, builtInRules, describeRule, loadRuleSet } from './rule-set.js';
import type { AlertRule } from './rules.js';

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await dir?.remove();
  dir = undefined;
});

function file(name: string, text: string): string {
  dir ??= tempDir();
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return path;
}

const rule = (rules: readonly AlertRule[], id: string): AlertRule => rules.find((r) => r.id === id)!;

describe('rules files', () => {
  it('without a file, the rules are the original table', () => {
    const set = builtInRules();
    expect(rule(set.base, 'cpu_high')).toMatchObject({ threshold: 90, severity: 'critical', enabled: true, forSeconds: 0, clearBelow: null });
    expect(set.forDevice('any')).toBe(set.base);
  });

  it('reads YAML: changes for all devices, then per-device overrides by id or glob, later entries winning', () => {
    const set = loadRuleSet(
      file(
        'rules.yaml',
        `rules:
  cpu_high: { threshold: 95, for: 2m, clear_below: 85 }
  zombie_processes: { enabled: false }
  device_offline: { threshold: 5m, factor: 4 }
devices:
  - match: "db-*"
    rules:
      cpu_high: { threshold: 99, severity: warning }
  - match: db-02
    rules:
      cpu_high: { threshold: 98 }
`,
      ),
    );
    expect(rule(set.base, 'cpu_high')).toMatchObject({ threshold: 95, forSeconds: 120, clearBelow: 85, severity: 'critical' });
    expect(rule(set.base, 'zombie_processes')).toMatchObject({ enabled: false });
    expect(rule(set.base, 'device_offline')).toMatchObject({ threshold: 300, factor: 4 });
    expect(rule(set.forDevice('web-01'), 'cpu_high')).toMatchObject({ threshold: 95, severity: 'critical' });
    expect(rule(set.forDevice('db-01'), 'cpu_high')).toMatchObject({ threshold: 99, severity: 'warning', forSeconds: 120 });
    expect(rule(set.forDevice('db-02'), 'cpu_high')).toMatchObject({ threshold: 98, severity: 'warning' });
  });

  it('sets the limit of sensors without a high (default_high), and shows limits in force in the trigger', () => {
    const set = loadRuleSet(file('rules.yaml', 'rules:\n  overheat: { default_high: 70 }\n  cpu_high: { threshold: 95 }\n'));
    expect(describeRule(rule(set.base, 'overheat'))).toMatchObject({
      default_high: 70,
      trigger: 'sensors_temperature current > high (70 for a sensor without high)',
    });
    expect(describeRule(rule(set.base, 'cpu_high')).trigger).toBe('cpu.total_percent > 95');
    expect(describeRule(rule(builtInRules().base, 'overheat'))).toMatchObject({ default_high: 80, threshold: null });
  });

  it('reads JSON too', () => {
    const set = loadRuleSet(file('rules.json', JSON.stringify({ rules: { memory_high: { threshold: 80 } } })));
    expect(rule(set.base, 'memory_high')).toMatchObject({ threshold: 80 });
  });

  it.each([
    ['an unknown rule', 'rules:\n  cpu_hihg: { threshold: 1 }\n', /rules\.cpu_hihg: unknown rule; the rules are cpu_high, /],
    ['an unknown setting', 'rules:\n  cpu_high: { treshold: 1 }\n', /rules\.cpu_high: Unrecognized key.*treshold/],
    ['a bad severity', 'rules:\n  cpu_high: { severity: fatal }\n', /rules\.cpu_high\.severity/],
    ['a bad duration', 'rules:\n  cpu_high: { for: soon }\n', /rules\.cpu_high\.for must be a duration/],
    ['clear_below above the threshold', 'rules:\n  cpu_high: { clear_below: 95 }\n', /clear_below \(95\) must not be above the threshold \(90\)/],
    ['hysteresis on a yes/no rule', 'rules:\n  custom_alert: { clear_below: 0 }\n', /custom_alert does not fire on a number above a limit/],
    ['a mistake in a device override', 'devices:\n  - match: web-*\n    rules:\n      nope: {}\n', /devices\.0\.rules\.nope: unknown rule/],
    ['broken YAML', 'rules: [unclosed\n', /is not valid YAML/],
    ['default_high on another rule', 'rules:\n  cpu_high: { default_high: 70 }\n', /rules\.cpu_high\.default_high applies only to overheat/],
  ])('refuses %s, naming the file and the place', (_what, text, message) => {
    const path = file('rules.yaml', text);
    expect(() => loadRuleSet(path)).toThrow(RulesFileError);
    expect(() => loadRuleSet(path)).toThrow(message);
    expect(() => loadRuleSet(path)).toThrow(path);
  });

  it('says so when the file cannot be read', () => {
    expect(() => loadRuleSet('/nonexistent/rules.yaml')).toThrow(/cannot read rules file \/nonexistent\/rules.yaml/);
  });
});
