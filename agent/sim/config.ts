// fleetmon-sim's options and environment variables -> one typed FleetConfig (plus how often to
// print progress). Every mistake names the option and says what to write instead.
import { Option } from 'commander';
import { LIMITS, agentIdPattern } from '../../shared/payload.js';
import { type BackendAddress, AgentConfigError as SimConfigError, parseBackendAddress, seconds } from '../config.js';
import type { FleetConfig } from './fleet.js';

export interface SimConfig extends FleetConfig {
  /** Seconds between progress lines on stderr; 0 = none. */
  progressSeconds: number;
  /** A file to write `agent_id,sample_id` of every accepted sample to (CSV), to check the database against. */
  acknowledgedFile: string | undefined;
}

// One error type for every option problem of the agent's family of commands.
export { SimConfigError };

export interface RawSimOptions {
  server?: string;
  agents?: string;
  interval: string;
  duration?: string;
  faults: string;
  seed: string;
  concurrency: string;
  timeout: string;
  idPrefix: string;
  progress: string;
  acknowledged?: string;
}

export const MAX_AGENTS = 1_000_000;

export const simOptions = (): Option[] => [
  new Option('--server <url>', 'backend to send to, e.g. http://127.0.0.1:8000').env('FLEETMON_SIM_SERVER'),
  new Option('--agents <count>', 'how many machines to simulate').env('FLEETMON_SIM_AGENTS'),
  new Option('--interval <duration>', 'time between samples of each machine: 10s, 1m, 500ms, ...').env('FLEETMON_SIM_INTERVAL').default('10s'),
  new Option('--duration <duration>', 'how long to run, e.g. 60s or 1h (default: until SIGINT/SIGTERM)').env('FLEETMON_SIM_DURATION'),
  new Option('--faults <share>', 'share of the machines in a fault at any time, 0 to 1').env('FLEETMON_SIM_FAULTS').default('0.1'),
  new Option('--seed <number>', 'random seed: the same seed gives the same fleet').env('FLEETMON_SIM_SEED').default('42'),
  new Option('--concurrency <count>', 'most requests in flight at once').env('FLEETMON_SIM_CONCURRENCY').default('256'),
  new Option('--timeout <duration>', 'how long to wait for the backend to answer one sample').env('FLEETMON_SIM_TIMEOUT').default('10s'),
  new Option('--id-prefix <prefix>', 'machine names are <prefix>-0001, <prefix>-0002, ...').env('FLEETMON_SIM_ID_PREFIX').default('sim'),
  new Option('--progress <duration>', 'time between progress lines on stderr; 0 for none').env('FLEETMON_SIM_PROGRESS').default('10s'),
  new Option('--acknowledged <file>', 'write agent_id,sample_id of every accepted sample to this file (CSV), to check the database against').env(
    'FLEETMON_SIM_ACKNOWLEDGED',
  ),
];

function wholeNumber(text: string | undefined, option: string, min: number, max: number, example: string): number {
  const value = Number(text);
  if (text === undefined || !/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new SimConfigError(`${option} must be a whole number from ${min} to ${max}, e.g. ${option} ${example}; got '${text ?? ''}'`);
  }
  return value;
}

/** With tokens on the backend, an admin token in the URL: http://sim:TOKEN@127.0.0.1:8000. */
function requiredServer(text: string | undefined): BackendAddress {
  if (!text) throw new SimConfigError('--server is required (or FLEETMON_SIM_SERVER): the backend URL, e.g. --server http://127.0.0.1:8000');
  return parseBackendAddress(text);
}

export function buildSimConfig(raw: RawSimOptions): SimConfig {
  const { server, authorization } = requiredServer(raw.server);
  if (raw.agents === undefined) throw new SimConfigError('--agents is required (or FLEETMON_SIM_AGENTS): how many machines to simulate, e.g. --agents 100');
  const agents = wholeNumber(raw.agents, '--agents', 1, MAX_AGENTS, '100');
  const faultRate = Number(raw.faults);
  if (raw.faults.trim() === '' || !Number.isFinite(faultRate) || faultRate < 0 || faultRate > 1) {
    throw new SimConfigError(`--faults must be a share from 0 to 1, e.g. --faults 0.1 for a tenth of the fleet in trouble; got '${raw.faults}'`);
  }
  const seed = wholeNumber(raw.seed, '--seed', 0, 0xffffffff, '42');
  const idPrefix = raw.idPrefix;
  // Room for "-" and the machine number within the 128 characters of an agent_id.
  if (!agentIdPattern.test(idPrefix) || idPrefix.length > LIMITS.agentIdMax - 10) {
    throw new SimConfigError(`--id-prefix may contain only letters, digits and . _ : @ - (at most ${LIMITS.agentIdMax - 10}), got '${idPrefix}'`);
  }
  const durationSeconds = raw.duration === undefined ? undefined : seconds(raw.duration, '--duration', 0.001);
  const progress = seconds(raw.progress, '--progress', 0);
  return {
    server,
    authorization,
    agents,
    intervalSeconds: seconds(raw.interval, '--interval', 0.1),
    durationSeconds,
    faultRate,
    seed,
    concurrency: wholeNumber(raw.concurrency, '--concurrency', 1, 100_000, '256'),
    timeoutMs: seconds(raw.timeout, '--timeout', 0.1) * 1000,
    idPrefix,
    progressSeconds: progress,
    acknowledgedFile: raw.acknowledged === undefined || raw.acknowledged === '' ? undefined : raw.acknowledged,
  };
}
