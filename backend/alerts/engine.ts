// The alert engine: what is open now + one payload -> what fires and what recovers.
// Pure: no database, no clock of its own. A problem fires once and stays open until its condition
// clears (below `clear_below` where a rules file sets hysteresis) or its subject leaves a list the
// payload sent; then a " - recovered" alert with severity warning follows. A value that was not
// measured (absent or null) never recovers anything and never fires anything. A rule with `for:` first holds the
// problem as pending, and fires only once the condition has lasted that long.
import type { MetricsPayload } from '../../shared/payload.js';
import type { Severity } from '../store/schema.js';
import { type AlertRule, RECOVERED_SUFFIX, type RuleInstance, type RuleReading } from './rules.js';

/** An open problem, or (in `pending`) a condition waiting out its rule's `for:`. */
export interface ActiveAlert {
  rule: string;
  subject: string;
  since: number;
}

export interface AlertState {
  active: readonly ActiveAlert[];
  pending: readonly ActiveAlert[];
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
  /** For a fired alert: when its condition started (earlier than now after a `for:` wait). */
  since?: number;
}

export interface Evaluation {
  transitions: Transition[];
  /** Conditions that started holding now and wait out their rule's `for:`. */
  pendingStarted: ActiveAlert[];
  /** Pending conditions that fired, cleared or lost their subject. */
  pendingEnded: ActiveAlert[];
}

const keyOf = (rule: string, subject: string) => `${rule}\u0000${subject}`;

/** How much an instance says: a firing reading beats a calm one, which beats one not measured. */
const weight = (i: RuleInstance) => (i.firing ? 2 : i.value !== null ? 1 : 0);

/**
 * What a rule read, one instance per subject (if a payload names a subject twice, the stronger
 * reading wins, in the place of the first). Runs for every rule on every sample: most rules read
 * one instance or none, which need no de-duplicating.
 */
function readRule(rule: AlertRule, payload: MetricsPayload): RuleReading {
  // A disabled rule looks at nothing and lists nothing, so what it had open recovers.
  if (!rule.enabled) return { measured: true, instances: [] };
  const reading = rule.read(payload, rule);
  if (reading.instances.length < 2) return reading;
  const bySubject = new Map<string, RuleInstance>();
  for (const instance of reading.instances) {
    const seen = bySubject.get(instance.subject);
    if (!seen || weight(instance) > weight(seen)) bySubject.set(instance.subject, instance);
  }
  return { measured: reading.measured, instances: [...bySubject.values()] };
}

export function firedTransition(rule: AlertRule, subject: string, value: number, threshold: number | null, since: number): Transition {
  return { kind: 'fired', rule: rule.id, subject, alert: rule.text(subject), severity: rule.severity, value, threshold, since };
}

export function recoveredTransition(rule: AlertRule, subject: string, value: number | null, threshold: number | null): Transition {
  return { kind: 'recovered', rule: rule.id, subject, alert: rule.text(subject) + RECOVERED_SUFFIX, severity: 'warning', value, threshold };
}

export function evaluateRules(state: AlertState, payload: MetricsPayload, rules: readonly AlertRule[], now: number): Evaluation {
  // Most samples come from a device with nothing open or pending: then no key is ever looked up.
  const active = state.active.length === 0 ? undefined : new Set(state.active.map((a) => keyOf(a.rule, a.subject)));
  const pendingSince = state.pending.length === 0 ? undefined : new Map(state.pending.map((p) => [keyOf(p.rule, p.subject), p.since]));
  const out: Evaluation = { transitions: [], pendingStarted: [], pendingEnded: [] };

  for (const rule of rules) {
    const { measured, instances } = readRule(rule, payload);
    for (const instance of instances) {
      const { subject, value, threshold } = instance;
      // Not measured is not healthy: an open problem stays open, a pending wait goes on, nothing starts.
      if (value === null) continue;
      const key = active || pendingSince ? keyOf(rule.id, subject) : '';
      if (active?.has(key)) {
        // Hysteresis: an open problem clears only at or below clear_below.
        const cleared = rule.clearBelow === null ? !instance.firing : value <= rule.clearBelow;
        if (cleared) out.transitions.push(recoveredTransition(rule, subject, value, threshold));
        continue;
      }
      const since = pendingSince?.get(key);
      if (!instance.firing) {
        if (since !== undefined) out.pendingEnded.push({ rule: rule.id, subject, since });
        continue;
      }
      const started = since ?? now;
      if (now - started >= rule.forSeconds) {
        out.transitions.push(firedTransition(rule, subject, value, threshold, started));
        if (since !== undefined) out.pendingEnded.push({ rule: rule.id, subject, since });
      } else if (since === undefined) {
        out.pendingStarted.push({ rule: rule.id, subject, since: now });
      }
    }
    // A field that was not sent at all keeps everything the rule had open.
    if (!measured || (!active && !pendingSince)) continue;
    // Whatever left a list that was sent (a disk unmounted, an interface removed, the rule disabled) ends.
    const listed = new Set(instances.map((i) => i.subject));
    for (const a of state.active) {
      if (a.rule === rule.id && !listed.has(a.subject)) out.transitions.push(recoveredTransition(rule, a.subject, null, null));
    }
    for (const p of state.pending) {
      if (p.rule === rule.id && !listed.has(p.subject)) out.pendingEnded.push(p);
    }
  }
  return out;
}
