// gotify: POST /message?token= with title, message and priority.
import { z } from 'zod';
import { type Batch, type SendContext, batchDescription, batchLink, batchTitle, isUrgent } from '../notice.js';
import { type SecretSources, NotifyFileError, checkSettings, readSecret } from '../settings.js';
import { jsonHeaders, postTo } from './http.js';

const schema = z.strictObject({ url: z.string(), token: z.string().optional(), token_file: z.string().optional(), token_env: z.string().optional() });

interface GotifySettings {
  url: string;
  token: string;
}

export const gotify = {
  settings(raw: Record<string, unknown>, where: string, secrets: SecretSources): GotifySettings {
    const checked = checkSettings(schema, raw, where);
    if (!/^https?:\/\//.test(checked.url)) throw new NotifyFileError(`${where}.url must be the gotify server, starting with http:// or https://`);
    const token = readSecret(checked, 'token', where, secrets);
    if (token === undefined) throw new NotifyFileError(`${where}: give token (an application token of the gotify server), token_file or token_env`);
    return { url: checked.url, token };
  },
  send(s: GotifySettings, b: Batch, ctx: SendContext): Promise<void> {
    const url = `${s.url.replace(/\/+$/, '')}/message?token=${encodeURIComponent(s.token)}`;
    const priority = isUrgent(b) ? 8 : b.every((n) => n.kind === 'resolved') ? 4 : 5;
    return postTo(url, { headers: jsonHeaders, body: JSON.stringify({ title: batchTitle(b), message: `${batchDescription(b)}\n${batchLink(b, ctx)}`, priority }) });
  },
};
