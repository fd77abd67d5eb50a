// slack and discord incoming webhooks: one line of text each.
import { type Batch, type SendContext, plainTextOf } from '../notice.js';
import { jsonHeaders, postTo } from './http.js';
import { type UrlSettings, urlSettings } from './webhook.js';

export const slack = {
  settings: urlSettings,
  send: (s: UrlSettings, b: Batch, ctx: SendContext) => postTo(s.url, { headers: jsonHeaders, body: JSON.stringify({ text: plainTextOf(b, ctx) }) }),
};

export const discord = {
  settings: urlSettings,
  // Discord refuses content longer than 2000 characters.
  send: (s: UrlSettings, b: Batch, ctx: SendContext) =>
    postTo(s.url, { headers: jsonHeaders, body: JSON.stringify({ content: plainTextOf(b, ctx).slice(0, 2000) }) }),
};
