#!/usr/bin/env node
// fleetmon-sim: parse options, run the simulated fleet until --duration or a signal, print the report.
// Exit status: 0 when every sample sent was accepted, 1 when any failed or the options are wrong.
import { createWriteStream } from 'node:fs';
import { Command } from 'commander';
import { type RawSimOptions, SimConfigError, buildSimConfig, simOptions } from './config.js';
import { runFleet } from './fleet.js';
import { buildReport, formatProgress, formatReportTable } from './report.js';

const program = new Command('fleetmon-sim')
  .description('fleetmon fleet simulator: N simulated machines sending realistic samples, with faults, to a fleetmon backend.')
  .showHelpAfterError();
for (const option of simOptions()) program.addOption(option);

function fail(err: unknown): never {
  console.error(`[fleetmon-sim] error: ${err instanceof SimConfigError ? err.message : ((err as Error).stack ?? String(err))}`);
  process.exit(1);
}

program.action(async (raw: RawSimOptions) => {
  const config = buildSimConfig(raw);
  const settings = { server: config.server, agents: config.agents, intervalSeconds: config.intervalSeconds };
  console.error(
    `[fleetmon-sim] ${config.agents} agents every ${config.intervalSeconds} s ` +
      `${config.durationSeconds === undefined ? 'until stopped' : `for ${config.durationSeconds} s`} against ${config.server}; ` +
      `faults ${config.faultRate}, seed ${config.seed}, concurrency ${config.concurrency}`,
  );
  // One line per accepted sample, so a run against several backends can be checked sample by sample.
  const acknowledged = config.acknowledgedFile === undefined ? undefined : createWriteStream(config.acknowledgedFile);
  acknowledged?.on('error', fail);
  const run = runFleet(config, { onAccepted: acknowledged && ((agentId, sampleId) => acknowledged.write(`${agentId},${sampleId ?? ''}\n`)) });

  let progressTimer: NodeJS.Timeout | undefined;
  if (config.progressSeconds > 0) {
    let previousSent = 0;
    let previousAt = 0;
    progressTimer = setInterval(() => {
      const totals = run.totals();
      const elapsed = run.elapsedSeconds();
      console.error(formatProgress(totals, previousSent, elapsed, elapsed - previousAt));
      previousSent = totals.sent;
      previousAt = elapsed;
    }, config.progressSeconds * 1000);
  }

  // The first signal stops sending and waits for the answers in flight; a second gives up on them.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      console.error(`[fleetmon-sim] ${signal}: stopping; waiting for ${run.totals().inFlight} answer(s) in flight (again to give up on them)`);
      run.stop();
    } else {
      run.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const totals = await run.done;
  clearInterval(progressTimer);
  if (acknowledged) await new Promise<void>((done) => acknowledged.end(done));
  const report = buildReport(settings, totals, run.elapsedSeconds());
  const text = `${formatReportTable(settings, report)}${JSON.stringify(report)}\n`;
  process.stdout.write(text, () => process.exit(report.failed > 0 ? 1 : 0));
});

program.parseAsync().catch(fail);
