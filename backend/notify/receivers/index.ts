// The receiver kinds, as data: each checks its settings (secrets read) at start, and sends one
// message (one notice or a group), resolving once the receiver accepted it and throwing with the reason otherwise.
import type { Batch, SendContext } from '../notice.js';
import type { SecretSources } from '../settings.js';
import { discord, slack } from './chat.js';
import { command } from './command.js';
import { email } from './email.js';
import { gotify } from './gotify.js';
import { ntfy } from './ntfy.js';
import { webhook } from './webhook.js';

export interface ReceiverKindSpec {
  settings(raw: Record<string, unknown>, where: string, secrets: SecretSources): unknown;
  send(settings: unknown, batch: Batch, ctx: SendContext): Promise<void>;
}

/** Typed settings inside each kind; the table holds them as unknown, checked by the kind's own settings(). */
function kind<S>(spec: { settings(raw: Record<string, unknown>, where: string, secrets: SecretSources): S; send(settings: S, batch: Batch, ctx: SendContext): Promise<void> }): ReceiverKindSpec {
  return { settings: spec.settings, send: (settings, batch, ctx) => spec.send(settings as S, batch, ctx) };
}

export const RECEIVER_KINDS = {
  webhook: kind(webhook),
  ntfy: kind(ntfy),
  gotify: kind(gotify),
  slack: kind(slack),
  discord: kind(discord),
  email: kind(email),
  command: kind(command),
} satisfies Record<string, ReceiverKindSpec>;

export type ReceiverKind = keyof typeof RECEIVER_KINDS;
