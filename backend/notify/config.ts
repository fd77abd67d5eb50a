// The notifications file (--notify, JSON or YAML): receivers and the routes that pick them. Read and
// checked once at start, secrets included (from the file, a file of their own, or the environment),
// with messages that name the file, the place in it and what to write instead.
import picomatch from 'picomatch';
import { z } from 'zod';
import { readYamlOrJson } from '../config-file.js';
import { DurationError, parseDurationSeconds } from '../../shared/duration.js';
import { RECEIVER_KINDS, type ReceiverKind } from './receivers/index.js';
import { NotifyFileError, type SecretSources, issuesText, processSecrets } from './settings.js';

export { NotifyFileError } from './settings.js';
import type { Route } from './routing.js';
import { DEFAULT_FLAP, type FlapSettings } from './flapping.js';


const duration = z.union([z.number().min(0), z.string()]);
const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const receiverCommon = {
  name: z.string().min(1),
  /** Send a "recovered" message when a problem clears; on by default. */
  send_resolved: z.boolean().optional(),
  /** At most `max` messages per `per`; the rest wait their turn. */
  rate_limit: z.strictObject({ max: z.number().int().positive(), per: duration }).optional(),
};

const receiverSchema = z
  .object({ ...receiverCommon, type: z.enum(Object.keys(RECEIVER_KINDS) as [ReceiverKind, ...ReceiverKind[]]) })
  .passthrough();

const routeSchema = z.strictObject({
  device: z.string().min(1).optional(),
  rule: z.string().min(1).optional(),
  subject: z.string().optional(),
  severity: z.enum(['critical', 'warning']).optional(),
  receivers: oneOrMany,
  repeat_interval: duration.optional(),
  continue: z.boolean().optional(),
  group_by: z.enum(['device', 'rule']).optional(),
  group_wait: duration.optional(),
  /** The next message of a group goes no sooner than this after its previous one. */
  group_interval: duration.optional(),
  /** Tell escalate_to too once the problem has been open escalate_after. */
  escalate_after: duration.optional(),
  escalate_to: oneOrMany.optional(),
});

const notifyFileSchema = z.strictObject({
  /** Where links in messages point (generatorURL, externalURL): this backend as people reach it. */
  external_url: z.string().url().optional(),
  receivers: z.array(receiverSchema).min(1),
  routes: z.array(routeSchema).optional(),
  /** A problem with more than flap_threshold state changes within flap_window is flapping. */
  flap_window: duration.optional(),
  flap_threshold: z.number().int().min(0).optional(),
});

export interface RateLimit {
  max: number;
  perSeconds: number;
}

/** A receiver ready to send: its kind's settings checked and its secrets read. */
export interface ReceiverConfig {
  name: string;
  kind: ReceiverKind;
  sendResolved: boolean;
  rateLimit: RateLimit;
  /** The kind's own settings, checked by the kind's schema. */
  settings: unknown;
}

export interface NotifyConfig {
  source: string | null;
  externalUrl: string;
  receivers: ReadonlyMap<string, ReceiverConfig>;
  routes: readonly Route[];
  flap: FlapSettings;
}

/** How long the first message of a group waits for others, unless group_wait says. */
export const DEFAULT_GROUP_WAIT_SECONDS = 30;

/** How long after a group's previous message the alerts that joined it since go out, unless group_interval says (Alertmanager's default). */
export const DEFAULT_GROUP_INTERVAL_SECONDS = 300;

/** Without rate_limit a receiver gets at most this many messages a minute (a flapping fleet must not flood a phone). */
export const DEFAULT_RATE_LIMIT: RateLimit = { max: 30, perSeconds: 60 };

function seconds(value: string | number, where: string): number {
  try {
    return parseDurationSeconds(value, where);
  } catch (err) {
    throw err instanceof DurationError ? new NotifyFileError(err.message) : err;
  }
}


export function buildNotifyConfig(data: unknown, source: string | null, secrets: SecretSources = processSecrets()): NotifyConfig {
  const parsed = notifyFileSchema.safeParse(data ?? {});
  if (!parsed.success) throw new NotifyFileError(issuesText(parsed.error, ''));
  const spec = parsed.data;
  const receivers = new Map<string, ReceiverConfig>();
  spec.receivers.forEach((raw, i) => {
    const where = `receivers.${i}`;
    if (receivers.has(raw.name)) throw new NotifyFileError(`${where}.name: '${raw.name}' is already the name of another receiver`);
    const { name, type, send_resolved, rate_limit, ...rest } = raw;
    const kind = RECEIVER_KINDS[type];
    const settings = kind.settings(rest, where, secrets);
    receivers.set(name, {
      name,
      kind: type,
      sendResolved: send_resolved ?? true,
      rateLimit: rate_limit ? { max: rate_limit.max, perSeconds: seconds(rate_limit.per, `${where}.rate_limit.per`) } : DEFAULT_RATE_LIMIT,
      settings,
    });
  });
  const routes = (spec.routes ?? []).map((r, i): Route => {
    const where = `routes.${i}`;
    for (const field of ['group_wait', 'group_interval'] as const) {
      if (r[field] !== undefined && r.group_by === undefined) throw new NotifyFileError(`${where}.${field} applies only with group_by (device or rule)`);
    }
    const names = typeof r.receivers === 'string' ? [r.receivers] : r.receivers;
    const escalateTo = r.escalate_to === undefined ? [] : typeof r.escalate_to === 'string' ? [r.escalate_to] : r.escalate_to;
    for (const [field, list] of [['receivers', names], ['escalate_to', escalateTo]] as const) {
      for (const n of list) {
        if (!receivers.has(n)) throw new NotifyFileError(`${where}.${field}: no receiver is named '${n}'; the receivers are ${[...receivers.keys()].join(', ')}`);
      }
    }
    if ((r.escalate_after === undefined) !== (r.escalate_to === undefined)) throw new NotifyFileError(`${where}: give escalate_after and escalate_to together`);
    return {
      device: r.device === undefined ? null : picomatch(r.device),
      rule: r.rule ?? null,
      subject: r.subject ?? null,
      severity: r.severity ?? null,
      receivers: names,
      repeatIntervalSeconds: r.repeat_interval === undefined ? null : seconds(r.repeat_interval, `${where}.repeat_interval`),
      continue: r.continue ?? false,
      groupBy: r.group_by ?? null,
      groupWaitSeconds: r.group_wait === undefined ? DEFAULT_GROUP_WAIT_SECONDS : seconds(r.group_wait, `${where}.group_wait`),
      groupIntervalSeconds: r.group_interval === undefined ? DEFAULT_GROUP_INTERVAL_SECONDS : seconds(r.group_interval, `${where}.group_interval`),
      escalation: r.escalate_after === undefined ? null : { afterSeconds: seconds(r.escalate_after, `${where}.escalate_after`), receivers: escalateTo },
    };
  });
  routes.forEach((r, i) => {
    if (r.repeatIntervalSeconds !== null && r.repeatIntervalSeconds < 60) throw new NotifyFileError(`routes.${i}.repeat_interval must be at least 1m (a reminder more often is a flood)`);
  });
  const flap: FlapSettings = {
    windowSeconds: spec.flap_window === undefined ? DEFAULT_FLAP.windowSeconds : seconds(spec.flap_window, 'flap_window'),
    threshold: spec.flap_threshold ?? DEFAULT_FLAP.threshold,
  };
  if (flap.windowSeconds <= 0) throw new NotifyFileError('flap_window must be longer than 0 (turn detection off with flap_threshold: 0)');
  return { source, externalUrl: spec.external_url ?? 'http://localhost:8000', receivers, routes, flap };
}

/** No --notify: nothing is routed and nothing is sent. */
export const noNotifications = (): NotifyConfig => ({ source: null, externalUrl: 'http://localhost:8000', receivers: new Map(), routes: [], flap: DEFAULT_FLAP });

/** Read and check a notifications file; YAML for .yaml/.yml, JSON otherwise. */
export function loadNotifyConfig(path: string, secrets: SecretSources = processSecrets()): NotifyConfig {
  const data = readYamlOrJson(path, 'notifications file', (message) => new NotifyFileError(message));
  try {
    return buildNotifyConfig(data, path, secrets);
  } catch (err) {
    throw err instanceof NotifyFileError ? new NotifyFileError(`notifications file ${path}: ${err.message}`) : err;
  }
}
