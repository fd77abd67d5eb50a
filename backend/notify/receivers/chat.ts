// slack and discord incoming webhooks: one line of text each.
import { type Notice, type SendContext, plainTextOf } from '../notice.js';
import { jsonHeaders, postTo } from './http.js';
import { type UrlSettings, urlSettings } from './webhook.js';

export const slack = {
  settings: urlSettings,
  send: (s: UrlSettings, n: Notice, ctx: SendContext) => postTo(s.url, { headers: jsonHeaders, body: JSON.stringify({ text: plainTextOf(n, ctx) }) }),
};

export const discord = {
  settings: urlSettings,
  // Discord refuses content longer than 2000 characters.
  send: (s: UrlSettings, n: Notice, ctx: SendContext) =>
    postTo(s.url, { headers: jsonHeaders, body: JSON.stringify({ content: plainTextOf(n, ctx).slice(0, 2000) }) }),
};
