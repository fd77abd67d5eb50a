// email over SMTP (nodemailer): accepted means the server accepted every recipient.
import nodemailer from 'nodemailer';
import { z } from 'zod';
import { type Batch, type SendContext, batchDescription, batchLink, batchTitle } from '../notice.js';
import { type SecretSources, NotifyFileError, checkSettings, readSecret } from '../settings.js';

const schema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
  /** TLS from the first byte (port 465); otherwise STARTTLS as `starttls` says. */
  secure: z.boolean().optional(),
  /** required: refuse a server without STARTTLS; opportunistic: use it when offered; off: never. */
  starttls: z.enum(['required', 'opportunistic', 'off']).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  password_file: z.string().optional(),
  password_env: z.string().optional(),
  from: z.string().min(1),
  to: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
});

interface EmailSettings {
  host: string;
  port: number;
  secure: boolean;
  starttls: 'required' | 'opportunistic' | 'off';
  auth: { user: string; pass: string } | undefined;
  from: string;
  to: string[];
}

export const email = {
  settings(raw: Record<string, unknown>, where: string, secrets: SecretSources): EmailSettings {
    const c = checkSettings(schema, raw, where);
    const password = readSecret(c, 'password', where, secrets);
    if ((password === undefined) !== (c.user === undefined)) throw new NotifyFileError(`${where}: give both user and a password (password, password_file or password_env), or neither`);
    const secure = c.secure ?? c.port === 465;
    return {
      host: c.host,
      port: c.port ?? (secure ? 465 : 587),
      secure,
      starttls: c.starttls ?? 'opportunistic',
      auth: c.user !== undefined && password !== undefined ? { user: c.user, pass: password } : undefined,
      from: c.from,
      to: typeof c.to === 'string' ? [c.to] : c.to,
    };
  },
  async send(s: EmailSettings, b: Batch, ctx: SendContext): Promise<void> {
    const transport = nodemailer.createTransport({
      host: s.host,
      port: s.port,
      secure: s.secure,
      requireTLS: s.starttls === 'required',
      ignoreTLS: s.starttls === 'off',
      auth: s.auth,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    try {
      const info = await transport.sendMail({ from: s.from, to: s.to, subject: batchTitle(b), text: `${batchDescription(b)}\n\n${batchLink(b, ctx)}\n` });
      if (info.rejected.length > 0) throw new Error(`SMTP server ${s.host} refused ${info.rejected.map(String).join(', ')}`);
    } finally {
      transport.close();
    }
  },
};
