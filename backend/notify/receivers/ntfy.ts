// ntfy: POST the text to the topic URL; title, priority and tags go in headers.
import { z } from 'zod';
import { type Batch, type SendContext, batchDescription, batchLink, batchTitle, isUrgent } from '../notice.js';
import { type SecretSources, NotifyFileError, checkSettings, readSecret } from '../settings.js';
import { postTo } from './http.js';

const schema = z.strictObject({
  url: z.string().optional(),
  url_file: z.string().optional(),
  url_env: z.string().optional(),
  token: z.string().optional(),
  token_file: z.string().optional(),
  token_env: z.string().optional(),
});

interface NtfySettings {
  url: string;
  token: string | undefined;
}

/** HTTP headers carry ASCII; ntfy decodes RFC 2047 for the rest (a mountpoint or sensor name may not be ASCII). */
const headerText = (text: string) => (/^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`);

export const ntfy = {
  settings(raw: Record<string, unknown>, where: string, secrets: SecretSources): NtfySettings {
    const checked = checkSettings(schema, raw, where);
    const url = readSecret(checked, 'url', where, secrets);
    if (url === undefined) throw new NotifyFileError(`${where}: give url (the topic's URL, e.g. https://ntfy.sh/my-topic), url_file or url_env`);
    if (!/^https?:\/\//.test(url)) throw new NotifyFileError(`${where}.url must start with http:// or https://`);
    return { url, token: readSecret(checked, 'token', where, secrets) };
  },
  send(s: NtfySettings, b: Batch, ctx: SendContext): Promise<void> {
    const urgent = isUrgent(b);
    const headers: Record<string, string> = {
      Title: headerText(batchTitle(b)),
      Priority: urgent ? 'high' : 'default',
      Tags: b.every((n) => n.kind === 'resolved') ? 'white_check_mark' : urgent ? 'rotating_light' : 'warning',
      Click: batchLink(b, ctx),
    };
    if (s.token) headers.Authorization = `Bearer ${s.token}`;
    return postTo(s.url, { headers, body: batchDescription(b) });
  },
};
