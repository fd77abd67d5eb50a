// What the notifications file and every receiver kind share: its error, secrets read from the
// file, a file of their own or the environment, and zod problems worded with the place in the file.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';

export class NotifyFileError extends Error {}

/** Where a secret may come from: inline, a file of its own (trimmed), or an environment variable. */
export interface SecretSources {
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
}

export const processSecrets = (): SecretSources => ({ env: process.env, readFile: (path) => readFileSync(path, 'utf8') });

/**
 * Read `name` from `settings`, `name_file` or `name_env`; exactly one may be given. Returns
 * undefined when none is (the kind decides whether that is allowed).
 */
export function readSecret(settings: Record<string, unknown>, name: string, where: string, secrets: SecretSources): string | undefined {
  const given = [name, `${name}_file`, `${name}_env`].filter((k) => settings[k] !== undefined);
  if (given.length > 1) throw new NotifyFileError(`${where}: give only one of ${given.join(', ')}`);
  const inline = settings[name];
  if (inline !== undefined) {
    if (typeof inline !== 'string') throw new NotifyFileError(`${where}.${name} must be a string`);
    return inline;
  }
  const file = settings[`${name}_file`];
  if (file !== undefined) {
    if (typeof file !== 'string') throw new NotifyFileError(`${where}.${name}_file must be a file name`);
    try {
      return secrets.readFile(file).trim();
    } catch (err) {
      throw new NotifyFileError(`${where}.${name}_file: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const variable = settings[`${name}_env`];
  if (variable !== undefined) {
    if (typeof variable !== 'string') throw new NotifyFileError(`${where}.${name}_env must be the name of an environment variable`);
    const value = secrets.env[variable];
    if (value === undefined || value === '') throw new NotifyFileError(`${where}.${name}_env: environment variable ${variable} is not set`);
    return value;
  }
  return undefined;
}

export const issuesText = (error: z.ZodError, where: string) =>
  error.issues.map((i) => `${[where, ...i.path.map(String)].filter(Boolean).join('.') || '(top level)'}: ${i.message}`).join('; ');

/** A kind's settings checked by its zod schema, worded like the rest of the file's problems. */
export function checkSettings<T>(schema: z.ZodType<T>, data: unknown, where: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new NotifyFileError(issuesText(parsed.error, where));
  return parsed.data;
}
