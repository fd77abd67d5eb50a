// The receiver kinds, as data: each checks its settings (secrets read) at start, and sends one
// notice, resolving once the receiver accepted it and throwing with the reason otherwise.
import type { Notice, SendContext } from '../notice.js';
import type { SecretSources } from '../settings.js';
import { discord, slack } from './chat.js';
import { command } from './command.js';
import { email } from './email.js';
import { gotify } from './gotify.js';
import { ntfy } from './ntfy.js';
import { webhook } from './webhook.js';

export interface ReceiverKindSpec {
  settings(raw: Record<string, unknown>, where: string, secrets: SecretSources): unknown;
  send(settings: unknown, notice: Notice, ctx: SendContext): Promise<void>;
}

/** Typed settings inside each kind; the table holds them as unknown, checked by the kind's own settings(). */
function kind<S>(spec: { settings(raw: Record<string, unknown>, where: string, secrets: SecretSources): S; send(settings: S, notice: Notice, ctx: SendContext): Promise<void> }): ReceiverKindSpec {
  return { settings: spec.settings, send: (settings, notice, ctx) => spec.send(settings as S, notice, ctx) };
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
