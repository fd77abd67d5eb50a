#!/usr/bin/env node
// fleetmon-agent: parse options, then print one sample, send one, or run until SIGTERM/SIGINT.
import { Command } from 'commander';
import { oneSample, startAgent } from './agent.js';
import { AgentConfigError, type RawAgentOptions, agentOptions, buildAgentConfig } from './config.js';
import { consoleAgentLog as log } from './log.js';

const program = new Command('fleetmon-agent')
  .description('fleetmon agent: samples this machine and sends the samples to a fleetmon backend.')
  .showHelpAfterError();
for (const option of agentOptions()) program.addOption(option);

function fail(err: unknown): never {
  log.error(err instanceof AgentConfigError ? err.message : ((err as Error).stack ?? String(err)));
  process.exit(1);
}

program.action(async (raw: RawAgentOptions) => {
  const config = buildAgentConfig(raw);

  if (config.print || config.once) {
    const { payload, sent: result } = await oneSample(config, log);
    if (!result) {
      process.stdout.write(`${JSON.stringify(payload, null, 2)}\n`);
      return;
    }
    if (result.kind === 'accepted') {
      log.info(`sample accepted by ${config.server}`);
      return;
    }
    log.error(
      result.kind === 'rejected'
        ? `backend rejected the sample (HTTP ${result.status}): ${result.message}`
        : result.kind === 'refused'
          ? `the backend refused the token (HTTP ${result.status}): ${result.message}`
          : `backend ${config.server} unavailable: ${result.reason}`,
    );
    process.exit(1);
  }

  const agent = await startAgent(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    agent.stop().then(() => {
      log.info(`${signal}: stopped; ${agent.spool.count} sample(s) left in the spool for the next start`);
      process.exit(0);
    }, fail);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // After the signal handlers: whoever reads this line may stop the agent cleanly.
  log.info(
    `reporting as ${config.agentId} to ${config.server}${config.authorization ? ' with a token' : ''} every ${config.intervalMs / 1000} s; ` +
      `spool ${config.spoolDir} (${agent.spool.count} waiting)`,
  );
});

program.parseAsync().catch(fail);
