// Which receivers hear of an alert: the routes of the notifications file, first match wins unless a
// route says `continue: true`. Pure: (alert, routes) -> deliveries.
import type { Severity } from '../store/schema.js';

export interface Route {
  /** Matchers; null matches anything. */
  device: ((deviceId: string) => boolean) | null;
  rule: string | null;
  subject: string | null;
  severity: Severity | null;
  receivers: readonly string[];
  /** Remind while the problem stays open, this often; null: tell once. */
  repeatIntervalSeconds: number | null;
  continue: boolean;
  /** Send the problems of one device (or one rule) that come close together as one message. */
  groupBy: 'device' | 'rule' | null;
  /** How long a group's first message waits for others to join it. */
  groupWaitSeconds: number;
  /** How long after a group's previous message the next one (what joined it since) may go. */
  groupIntervalSeconds: number;
  /** Tell these receivers too once the problem has been open this long (null: never). */
  escalation: { afterSeconds: number; receivers: readonly string[] } | null;
}

/** What a route matches on: a problem as it fired (a recovery is routed by the problem it ends). */
export interface RoutedProblem {
  deviceId: string;
  rule: string;
  subject: string;
  /** The severity the problem fired with (a recovery's own severity is always warning). */
  severity: Severity;
}

export interface Delivery {
  receiver: string;
  repeatIntervalSeconds: number | null;
  /** The group the message joins (`device=db-1`), null when it goes alone, and how long it waits for others. */
  groupKey: string | null;
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
}

const groupKeyOf = (route: Route, p: RoutedProblem): string | null =>
  route.groupBy === 'device' ? `device=${p.deviceId}` : route.groupBy === 'rule' ? `rule=${p.rule}` : null;

export function routeMatches(route: Route, p: RoutedProblem): boolean {
  return (
    (route.device === null || route.device(p.deviceId)) &&
    (route.rule === null || route.rule === p.rule) &&
    (route.subject === null || route.subject === p.subject) &&
    (route.severity === null || route.severity === p.severity)
  );
}

/** The routes a problem takes: the first that matches, and the next ones while they say continue. */
function routesTaken(problem: RoutedProblem, routes: readonly Route[]): Route[] {
  const out: Route[] = [];
  for (const route of routes) {
    if (!routeMatches(route, problem)) continue;
    out.push(route);
    if (!route.continue) break;
  }
  return out;
}

export interface Escalation {
  receiver: string;
  afterSeconds: number;
}

/** Who else hears of a problem once it has been open long enough (its routes' escalate_to). */
export function escalationsFor(problem: RoutedProblem, routes: readonly Route[]): Escalation[] {
  const out: Escalation[] = [];
  for (const route of routesTaken(problem, routes)) {
    if (!route.escalation) continue;
    for (const receiver of route.escalation.receivers) {
      if (!out.some((e) => e.receiver === receiver)) out.push({ receiver, afterSeconds: route.escalation.afterSeconds });
    }
  }
  return out;
}

/** The receivers a problem goes to, each once (the first route that names it decides its repeat). */
export function receiversFor(problem: RoutedProblem, routes: readonly Route[]): Delivery[] {
  const out: Delivery[] = [];
  for (const route of routesTaken(problem, routes)) {
    for (const receiver of route.receivers) {
      if (out.some((d) => d.receiver === receiver)) continue;
      const groupKey = groupKeyOf(route, problem);
      out.push({ receiver, repeatIntervalSeconds: route.repeatIntervalSeconds, groupKey, groupWaitSeconds: groupKey === null ? 0 : route.groupWaitSeconds, groupIntervalSeconds: groupKey === null ? 0 : route.groupIntervalSeconds });
    }
  }
  return out;
}
