#!/usr/bin/env node
// fleetmon-backend: parse options, start the server, stop it cleanly on SIGTERM/SIGINT.
import { Command } from 'commander';
import { type Config, ConfigError, type RawOptions, backendOptions, buildConfig } from './config.js';
import { consoleLogger as log } from './log.js';
import { ListenError, startBackend, unixNow } from './server.js';
import { createMaintenance } from './maintenance.js';
import { DatabaseOpenError, type OpenedDatabase, openDatabase } from './store/db.js';
import { SchemaError, migrateToLatest } from './store/migrate.js';
import { RulesFileError } from './alerts/rule-set.js';
import { NotifyFileError, loadNotifyConfig } from './notify/config.js';
import { sendTestMessage } from './notify/test-message.js';
import { resolve } from 'node:path';

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
  if (err instanceof ConfigError || err instanceof SchemaError || err instanceof DatabaseOpenError || err instanceof RulesFileError || err instanceof NotifyFileError || err instanceof ListenError) {
    log.error(err.message);
  } else {
    log.error(err);
  }
  process.exit(1);
}

program.action(async (raw: RawOptions) => {
  const config = buildConfig(raw);
  const backend = await startBackend(config, { log });
  if (['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
    log.warn('POST /metrics is unauthenticated; listening on loopback only (use --host 0.0.0.0 to accept agents from other machines).');
  } else {
    log.warn('POST /metrics is unauthenticated: anyone who can reach this address can send samples. Keep it on a trusted network.');
  }
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
  // Last, after the signal handlers, so that a supervisor or test reading the log knows start-up
  // is complete and may stop it cleanly.
  log.info(`listening on ${backend.url}, database ${config.dbPath} (schema ${backend.schema.current ?? 'none'})`);
});

/** For the commands that work on the database file and exit: open it, run `work`, close it. */
async function withDatabase(command: Command, work: (database: OpenedDatabase, config: Config) => Promise<void>): Promise<void> {
  const config = buildConfig(subcommandOptions(command));
  const database = openDatabase(config.dbPath);
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
          ? `applied ${report.applied.join(', ')} to ${config.dbPath}`
          : `${config.dbPath} is already at the latest schema (${report.current})`,
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
      log.info(`maintenance of ${config.dbPath} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }),
  );

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

program.parseAsync().catch(fail);
