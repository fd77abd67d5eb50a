// The rules in force: the original's table, changed by an optional rules file (JSON or YAML) for
// every device and per device (by id or glob). Validated once at start, with messages that name
// the file, the place in it and what to write instead.
import picomatch from 'picomatch';
import { z } from 'zod';
import { readYamlOrJson } from '../config-file.js';
import { DurationError, parseDurationSeconds } from '../../shared/duration.js';
import { type AlertRule, DEFAULT_RULES, OFFLINE_RULE_ID } from './rules.js';

export class RulesFileError extends Error {}

const duration = z.union([z.number().min(0), z.string()]);

const ruleChangeSchema = z.strictObject({
  enabled: z.boolean().optional(),
  threshold: z.union([z.number(), z.string()]).optional(),
  severity: z.enum(['critical', 'warning']).optional(),
  for: duration.optional(),
  clear_below: z.number().optional(),
  factor: z.number().positive().optional(),
  default_high: z.number().optional(),
});

const rulesFileSchema = z.strictObject({
  rules: z.record(z.string(), ruleChangeSchema).optional(),
  devices: z
    .array(z.strictObject({ match: z.string().min(1), rules: z.record(z.string(), ruleChangeSchema) }))
    .optional(),
});

export type RuleChange = z.infer<typeof ruleChangeSchema>;
export type RulesFile = z.infer<typeof rulesFileSchema>;

export interface RuleSet {
  /** The rules file, or null for the built-in rules. */
  source: string | null;
  spec: RulesFile;
  /** The rules for every device (the file's `rules:` applied). */
  base: readonly AlertRule[];
  /** The rules in force for one device (its matching `devices:` entries applied, in order). */
  forDevice(deviceId: string): readonly AlertRule[];
}

function seconds(value: string | number, where: string): number {
  try {
    return parseDurationSeconds(value, where);
  } catch (err) {
    throw err instanceof DurationError ? new RulesFileError(err.message) : err;
  }
}

function applyChange(rule: AlertRule, change: RuleChange, where: string): AlertRule {
  const next: AlertRule = { ...rule };
  if (change.enabled !== undefined) next.enabled = change.enabled;
  if (change.severity !== undefined) next.severity = change.severity;
  if (change.for !== undefined) next.forSeconds = seconds(change.for, `${where}.for`);
  if (change.threshold !== undefined) {
    // device_offline's threshold is a silence; the others are numbers in the payload's units.
    if (rule.id === OFFLINE_RULE_ID) next.threshold = seconds(change.threshold, `${where}.threshold`);
    else if (typeof change.threshold === 'number') next.threshold = change.threshold;
    else throw new RulesFileError(`${where}.threshold must be a number, got '${change.threshold}'`);
  }
  if (change.factor !== undefined) {
    if (rule.id !== OFFLINE_RULE_ID) throw new RulesFileError(`${where}.factor applies only to ${OFFLINE_RULE_ID}`);
    next.factor = change.factor;
  }
  if (change.default_high !== undefined) {
    if (rule.defaultHigh === undefined) throw new RulesFileError(`${where}.default_high applies only to overheat (the limit of a sensor that reports no high)`);
    next.defaultHigh = change.default_high;
  }
  if (change.clear_below !== undefined) {
    if (!rule.hysteresis) throw new RulesFileError(`${where}.clear_below: rule ${rule.id} does not fire on a number above a limit, so it has no hysteresis`);
    next.clearBelow = change.clear_below;
  }
  if (next.clearBelow !== null && next.threshold !== null && next.clearBelow > next.threshold) {
    throw new RulesFileError(`${where}.clear_below (${next.clearBelow}) must not be above the threshold (${next.threshold})`);
  }
  return next;
}

function applyChanges(rules: readonly AlertRule[], changes: Record<string, RuleChange>, where: string): AlertRule[] {
  const known = new Set(rules.map((r) => r.id));
  for (const id of Object.keys(changes)) {
    if (!known.has(id)) throw new RulesFileError(`${where}.${id}: unknown rule; the rules are ${[...known].join(', ')}`);
  }
  return rules.map((rule) => (changes[rule.id] ? applyChange(rule, changes[rule.id]!, `${where}.${rule.id}`) : rule));
}

export function buildRuleSet(spec: RulesFile, source: string | null): RuleSet {
  const base = applyChanges(DEFAULT_RULES, spec.rules ?? {}, 'rules');
  const overrides = (spec.devices ?? []).map((entry, i) => ({
    matches: picomatch(entry.match),
    rules: entry.rules,
    where: `devices.${i}.rules`,
  }));
  // Check every override now, so a mistake stops the start instead of the first matching sample.
  for (const o of overrides) applyChanges(base, o.rules, o.where);
  const cache = new Map<string, readonly AlertRule[]>();
  return {
    source,
    spec,
    base,
    forDevice(deviceId) {
      let rules = cache.get(deviceId);
      if (!rules) {
        rules = overrides.filter((o) => o.matches(deviceId)).reduce<readonly AlertRule[]>((acc, o) => applyChanges(acc, o.rules, o.where), base);
        cache.set(deviceId, rules);
      }
      return rules;
    },
  };
}

export const builtInRules = (): RuleSet => buildRuleSet({}, null);

/** Read and check a rules file; YAML for .yaml/.yml, JSON otherwise. */
export function loadRuleSet(path: string): RuleSet {
  const data = readYamlOrJson(path, 'rules file', (message) => new RulesFileError(message));
  const parsed = rulesFileSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new RulesFileError(`rules file ${path}: ${problems.join('; ')}`);
  }
  try {
    return buildRuleSet(parsed.data, path);
  } catch (err) {
    throw err instanceof RulesFileError ? new RulesFileError(`rules file ${path}: ${err.message}`) : err;
  }
}

/** A rule as GET /rules shows it. */
export function describeRule(rule: AlertRule) {
  return {
    id: rule.id,
    alert: rule.text('<name>'),
    severity: rule.severity,
    trigger: rule.trigger(rule),
    enabled: rule.enabled,
    threshold: rule.threshold,
    for_seconds: rule.forSeconds,
    clear_below: rule.clearBelow,
    ...(rule.factor !== undefined ? { factor: rule.factor } : {}),
    ...(rule.defaultHigh !== undefined ? { default_high: rule.defaultHigh } : {}),
  };
}
