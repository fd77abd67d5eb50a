// The alert engine: what is open now + one payload -> what fires and what recovers.
// Pure: no database, no clock. A problem fires once and stays open until its condition clears
// or its subject leaves the payload; then a " - recovered" alert with severity warning follows.
import type { MetricsPayload } from '../../shared/payload.js';
import type { Severity } from '../store/schema.js';
import { type AlertRule, RECOVERED_SUFFIX, type RuleInstance } from './rules.js';

export interface ActiveAlert {
  rule: string;
  subject: string;
  since: number;
}

export interface Transition {
  kind: 'fired' | 'recovered';
  rule: string;
  subject: string;
  alert: string;
  severity: Severity;
  /** The value that decided it; null when the subject is gone from the payload. */
  value: number | null;
  threshold: number | null;
}

const keyOf = (rule: string, subject: string) => `${rule}\u0000${subject}`;

/** One instance per subject: if a payload names a subject twice, the firing reading wins. */
function instancesByKey(rule: AlertRule, payload: MetricsPayload): Map<string, RuleInstance> {
  const byKey = new Map<string, RuleInstance>();
  for (const instance of rule.instances(payload, rule.threshold)) {
    const key = keyOf(rule.id, instance.subject);
    const seen = byKey.get(key);
    if (!seen || (!seen.firing && instance.firing)) byKey.set(key, instance);
  }
  return byKey;
}

export function evaluateRules(
  active: readonly ActiveAlert[],
  payload: MetricsPayload,
  rules: readonly AlertRule[],
): Transition[] {
  const open = new Set(active.map((a) => keyOf(a.rule, a.subject)));
  const transitions: Transition[] = [];
  for (const rule of rules) {
    const seen = instancesByKey(rule, payload);
    for (const [key, instance] of seen) {
      const isOpen = open.has(key);
      if (instance.firing === isOpen) continue;
      const text = rule.text(instance.subject);
      transitions.push(
        instance.firing
          ? { kind: 'fired', rule: rule.id, subject: instance.subject, alert: text, severity: rule.severity, value: instance.value, threshold: instance.threshold }
          : { kind: 'recovered', rule: rule.id, subject: instance.subject, alert: text + RECOVERED_SUFFIX, severity: 'warning', value: instance.value, threshold: instance.threshold },
      );
    }
    // An open problem whose subject is no longer reported (a disk unmounted, a field dropped) recovers.
    for (const a of active) {
      if (a.rule !== rule.id || seen.has(keyOf(a.rule, a.subject))) continue;
      transitions.push({
        kind: 'recovered',
        rule: rule.id,
        subject: a.subject,
        alert: rule.text(a.subject) + RECOVERED_SUFFIX,
        severity: 'warning',
        value: null,
        threshold: null,
      });
    }
  }
  return transitions;
}
