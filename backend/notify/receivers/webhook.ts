// webhook: the Alertmanager webhook payload (version 4), so anything that takes Alertmanager's
// webhooks takes ours.
import { z } from 'zod';
import { alertmanagerMessage } from '../alertmanager.js';
import { type SecretSources, NotifyFileError, checkSettings, readSecret } from '../settings.js';
import type { Batch, SendContext } from '../notice.js';
import { jsonHeaders, postTo } from './http.js';

const schema = z.strictObject({ url: z.string().optional(), url_file: z.string().optional(), url_env: z.string().optional() });

export interface UrlSettings {
  url: string;
}

/** The settings of the kinds that need only a URL (a secret: url, url_file or url_env). */
export function urlSettings(raw: Record<string, unknown>, where: string, secrets: SecretSources): UrlSettings {
  const checked = checkSettings(schema, raw, where);
  const url = readSecret(checked, 'url', where, secrets);
  if (url === undefined) throw new NotifyFileError(`${where}: give url, url_file or url_env`);
  if (!/^https?:\/\//.test(url)) throw new NotifyFileError(`${where}.url must start with http:// or https://`);
  return { url };
}

export const webhook = {
  settings: urlSettings,
  send: (s: UrlSettings, b: Batch, ctx: SendContext) => postTo(s.url, { headers: jsonHeaders, body: JSON.stringify(alertmanagerMessage(b, ctx)) }),
};
