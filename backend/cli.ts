#!/usr/bin/env node
// fleetmon-backend: parse options, start the server, stop it cleanly on SIGTERM/SIGINT.
import { Command, Option } from 'commander';
import { agentIdPattern } from '../shared/payload.js';
import { ROLES, type Role } from './auth/roles.js';
import { TokenRequestError, createToken } from './auth/tokens.js';
import { type Config, ConfigError, type RawOptions, backendOptions, buildConfig } from './config.js';
import { consoleLogger as log } from './log.js';
import { ListenError, startBackend, unixNow } from './server.js';
import { createMaintenance } from './maintenance.js';
import { DatabaseOpenError, type OpenedDatabase, connectDatabase } from './store/db.js';
import { describeDatabase, isPostgresUrl } from './store/dialect.js';
import { SchemaError, migrateToLatest } from './store/migrate.js';
import { CopyError, copySqliteToPostgres } from './store/copy.js';
import { RulesFileError } from './alerts/rule-set.js';
import { NotifyFileError, loadNotifyConfig } from './notify/config.js';
import { sendTestMessage } from './notify/test-message.js';
import { resolve } from 'node:path';
import { findToken, listTokens, revokeToken, validTokens } from './store/tokens.js';
import type { TokenRow } from './store/schema.js';
import { exportSamples, sampleJsonLine } from './store/sample-export.js';
import { parseTime } from './time-text.js';

const program = new Command('fleetmon-backend')
  .description('fleetmon backend: stores metrics from fleetmon agents in SQLite, raises alerts, serves JSON.')
  .showHelpAfterError()
  // Options after a subcommand's name belong to it, so `migrate --help` can list them.
  .enablePositionalOptions();
for (const option of backendOptions()) program.addOption(option);

/** The options a subcommand takes, by their long names (a subset of the server's). */
function subcommand(name: string, optionNames: string[]): Command {
  const command = program.command(name).showHelpAfterError();
  for (const option of backendOptions()) if (optionNames.includes(option.long ?? '')) command.addOption(option);
  return command;
}

/**
 * The server's options with the subcommand's on top: given after the name (`migrate --db x`) or
 * before it (`--db x migrate`), whichever was set; the subcommand's default only if neither was.
 */
function subcommandOptions(command: Command): RawOptions {
  const merged: Record<string, unknown> = { ...program.opts() };
  for (const [key, value] of Object.entries(command.opts())) {
    if (command.getOptionValueSource(key) !== 'default' || program.getOptionValueSource(key) === 'default') merged[key] = value;
  }
  return merged as unknown as RawOptions;
}

/** Known failures end with their message and exit 1; anything else shows its stack. */
function fail(err: unknown): never {
  if (
    err instanceof ConfigError ||
    err instanceof SchemaError ||
    err instanceof DatabaseOpenError ||
    err instanceof RulesFileError ||
    err instanceof NotifyFileError ||
    err instanceof ListenError ||
    err instanceof TokenRequestError ||
    err instanceof CopyError
  ) {
    log.error(err.message);
  } else {
    log.error(err);
  }
  process.exit(1);
}

program.action(async (raw: RawOptions) => {
  const config = buildConfig(raw);
  // It logs whether the API is open or needs tokens (and refuses an open API beyond loopback).
  const backend = await startBackend(config, { log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received: finishing requests in flight, closing the database`);
    backend.close().then(
      () => process.exit(0),
      (err: unknown) => fail(err),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Last, so that a supervisor or test reading the log knows start-up is complete, and that a
  // SIGTERM sent as soon as it reads this line finds the handler above (not the default: death).
  log.info(`listening on ${backend.url}, database ${describeDatabase(config.dbPath)} (schema ${backend.schema.current ?? 'none'})`);
});

/** For the commands that work on the database file and exit: open it, run `work`, close it. */
async function withDatabase(command: Command, work: (database: OpenedDatabase, config: Config) => Promise<void>): Promise<void> {
  const config = buildConfig(subcommandOptions(command));
  const database = await connectDatabase(config.dbPath);
  try {
    await work(database, config);
  } finally {
    await database.close();
  }
}

subcommand('migrate', ['--db'])
  .description('bring the database to the latest schema and exit (the server also does this on start)')
  .action((_options, command: Command) =>
    withDatabase(command, async (database, config) => {
      const report = await migrateToLatest(database.db);
      log.info(
        report.applied.length > 0
          ? `applied ${report.applied.join(', ')} to ${describeDatabase(config.dbPath)}`
          : `${describeDatabase(config.dbPath)} is already at the latest schema (${report.current})`,
      );
    }),
  );

subcommand('maintenance', ['--db', '--retention', '--rollup-retention'])
  .description('roll samples up and apply --retention/--rollup-retention now, until nothing is left to do, then exit (the server does this every minute)')
  .action((_options, command: Command) =>
    withDatabase(command, async (database, config) => {
      await migrateToLatest(database.db);
      const started = Date.now();
      const { retentionSeconds, rollupRetentionSeconds } = config;
      await createMaintenance({ db: database.db, now: unixNow, log, retentionSeconds, rollupRetentionSeconds }).runUntilIdle();
      log.info(`maintenance of ${describeDatabase(config.dbPath)} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }),
  );

/** A time option as the API takes it (Unix seconds or ISO 8601). */
function timeOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const time = parseTime(text);
  if (time === undefined) throw new ConfigError(`${name} must be Unix seconds or an ISO 8601 time such as 2025-08-15T12:00:00Z, got '${text}'`);
  return time;
}

/** Write to stdout, waiting while its buffer is full (a slow `| jq` must not make the backend buffer the whole file). */
function writeOut(text: string): Promise<void> {
  if (process.stdout.write(text)) return Promise.resolve();
  return new Promise((resolveWrite) => process.stdout.once('drain', () => resolveWrite()));
}

subcommand('export', ['--db'])
  .description('print stored samples as JSON lines (recent rows and packed blocks alike), device by device, oldest first; e.g. export --device web-1 --from 2025-08-15 --to 2025-08-16 | jq .payload.cpu')
  .option('--device <agent_id>', 'only this device')
  .option('--from <time>', 'samples measured at or after this time: Unix seconds or ISO 8601 (UTC unless it has an offset)')
  .option('--to <time>', 'samples measured before this time')
  .action((options: { device?: string; from?: string; to?: string }, command: Command) =>
    withDatabase(command, async (database) => {
      const from = timeOption('--from', options.from);
      const to = timeOption('--to', options.to);
      if (from !== undefined && to !== undefined && from >= to) throw new ConfigError(`--from must be before --to (from ${from}, to ${to})`);
      await migrateToLatest(database.db);
      // A closed pipe (`| head`) ends the export quietly.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') process.exit(0);
        throw err;
      });
      let lines = '';
      for await (const sample of exportSamples(database.db, { deviceId: options.device, from, to })) {
        lines += `${sampleJsonLine(sample)}\n`;
        if (lines.length > 1 << 16) {
          await writeOut(lines);
          lines = '';
        }
      }
      await writeOut(lines);
    }),
  );

program
  .command('copy')
  .description('move an installation from its SQLite file into an empty PostgreSQL database (samples, alerts, state, tokens, all of it, ids kept), then check the row counts; e.g. copy --from /var/lib/fleetmon/monitor.sqlite --to postgres://fleetmon:PASSWORD@db/fleetmon')
  .requiredOption('--from <file>', 'the SQLite file the backend ran on (stop that backend first, or samples it takes later are not copied)')
  .requiredOption('--to <url>', 'a postgres:// URL of an empty database (migrated to the latest schema here)')
  .showHelpAfterError()
  .action(async (options: { from: string; to: string }) => {
    if (isPostgresUrl(options.from)) throw new ConfigError('copy: --from names the SQLite file; --to takes the postgres:// URL');
    if (!isPostgresUrl(options.to)) throw new ConfigError(`copy: --to must be a postgres:// URL, got '${describeDatabase(options.to)}'`);
    const started = Date.now();
    const report = await copySqliteToPostgres(options.from, options.to);
    for (const { table, rows } of report.tables) process.stdout.write(`${table}: ${rows} rows\n`);
    const total = report.tables.reduce((sum, t) => sum + t.rows, 0);
    log.info(
      `copied ${options.from} to ${describeDatabase(options.to)} and verified: ${report.tables.length} tables, ${total} rows, the same counts on both sides, ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s. Start the backend with --db on that URL.`,
    );
  });

const notifyCommand = program.command('notify').description('notification tools (see `notify test --help`)');
const notifyTest = notifyCommand
  .command('test')
  .description('send a test message to one receiver of the notifications file and say whether it accepted it')
  .requiredOption('--receiver <name>', 'the receiver, by its name in the notifications file')
  .showHelpAfterError();
for (const option of backendOptions()) if (option.long === '--notify') notifyTest.addOption(option);
notifyTest.action(async (options: { receiver: string; notify?: string }) => {
  const file = options.notify ?? (program.opts() as RawOptions).notify;
  if (!file) throw new ConfigError('notify test: give the notifications file with --notify FILE (or FLEETMON_NOTIFY)');
  try {
    await sendTestMessage(loadNotifyConfig(resolve(file)), options.receiver, unixNow());
  } catch (err) {
    if (err instanceof NotifyFileError) throw err;
    log.error(`receiver ${options.receiver} did not accept the test message: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  log.info(`receiver ${options.receiver} accepted the test message`);
});

const tokenCommand = program
  .command('token')
  .description('manage API tokens (add, list, revoke) in the database file; a running backend sees changes at once')
  .showHelpAfterError();

function tokenSubcommand(name: string): Command {
  const command = tokenCommand.command(name).showHelpAfterError();
  for (const option of backendOptions()) if (option.long === '--db') command.addOption(option);
  return command;
}

const isoTime = (seconds: number | null) => (seconds === null ? '-' : new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z'));

const describeToken = (row: TokenRow) => `token ${row.id} (role ${row.role}${row.device_id === null ? '' : `, agent ${row.device_id}`}${row.name ? `, ${row.name}` : ''})`;

/** Where to put a new token, by role: one line, on stderr beside the secret on stdout. */
function usageHint(row: TokenRow): string {
  if (row.role === 'agent') {
    return `On ${row.device_id}: put it in /etc/fleetmon/agent.token (the unit loads it with LoadCredential=) or in FLEETMON_TOKEN; the original agent takes --server http://${row.device_id}:<token>@HOST:8000`;
  }
  return "Send it as 'Authorization: Bearer <token>', e.g. curl -H 'Authorization: Bearer <token>' ...";
}

tokenSubcommand('add')
  .description('create a token and print it once on stdout (only its hash is stored); e.g. token add --role agent --agent web-1')
  .addOption(new Option('--role <role>', 'agent: POST /metrics for its --agent only; admin: everything; read: the GET endpoints').choices(ROLES).makeOptionMandatory())
  .option('--agent <agent_id>', 'the device an agent token may write (its agent_id); only with --role agent')
  .option('--name <text>', 'a note saying where the token is used')
  .action((options: { role: Role; agent?: string; name?: string }, command: Command) =>
    withDatabase(command, async (database) => {
      if (options.agent !== undefined && !agentIdPattern.test(options.agent)) {
        throw new TokenRequestError(`--agent must be an agent_id (letters, digits and . _ : @ -), got '${options.agent}'`);
      }
      await migrateToLatest(database.db);
      const { row, token } = await createToken(database.db, { role: options.role, deviceId: options.agent, name: options.name }, unixNow());
      process.stdout.write(`${token}\n`);
      log.info(`created ${describeToken(row)}; the secret is shown only this once. ${usageHint(row)}`);
    }),
  );

tokenSubcommand('list')
  .description('list the tokens: id, role, agent, name, created, revoked (never the secrets)')
  .action((_options, command: Command) =>
    withDatabase(command, async (database) => {
      await migrateToLatest(database.db);
      const rows = (await listTokens(database.db)).map((t) => [t.id, t.role, t.device_id ?? '-', t.name ?? '-', isoTime(t.created_at), isoTime(t.revoked_at)]);
      const table = [['ID', 'ROLE', 'AGENT', 'NAME', 'CREATED', 'REVOKED'], ...rows];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
      for (const row of table) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
      if (rows.length === 0) log.info("no tokens: the API is open (to this machine only, unless --insecure-open); 'token add' creates one");
    }),
  );

tokenSubcommand('revoke')
  .description('revoke a token by its id (as token list shows it); refused from now on, also by a running backend')
  .argument('<id>', 'the token id: 8 hex digits, the part after fmt_')
  .action((id: string, _options, command: Command) =>
    withDatabase(command, async (database) => {
      await migrateToLatest(database.db);
      const row = await findToken(database.db, id);
      if (!row) throw new TokenRequestError(`no token ${id}: 'fleetmon-backend token list' shows the tokens and their ids`);
      if (row.revoked_at !== null) {
        log.info(`${describeToken(row)} was already revoked at ${isoTime(row.revoked_at)}`);
        return;
      }
      await revokeToken(database.db, id, unixNow());
      log.info(`revoked ${describeToken(row)}: it is refused from now on`);
      if (!(await validTokens(database.db)).any) {
        log.warn('no valid token is left: a backend on loopback (or with --insecure-open) is open again; one listening beyond loopback refuses writes until a token exists');
      }
    }),
  );

program.parseAsync().catch(fail);
