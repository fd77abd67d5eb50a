// Query benchmark: latency of the read endpoints on a database of ~10 thousand samples and on one
// of ~10 million (1,000 devices each), and the ratio between the two. A ratio that grows with the
// size of the history means a missing index or a wrong query.
import { startBackend } from './processes.js';
import { queryDatabase, queryEndpoints, timeEndpoints } from './query-endpoints.js';
import { argument, printReport, round } from './report.js';

const devices = Number(argument('devices', '1000'));
const bigPerDevice = Number(argument('big-samples-per-device', '10000'));
const smallPerDevice = Number(argument('small-samples-per-device', '10'));
const repeats = Number(argument('repeats', '200'));
const endpoints = queryEndpoints(repeats);

async function measureAll(dbPath: string) {
  // The backend judges silence by its own clock; the data ends at a fixed time, so some devices show offline. That is fine.
  const server = await startBackend(dbPath);
  try {
    return await timeEndpoints(server.url, endpoints);
  } finally {
    await server.stop();
  }
}

async function main() {
  const small = await queryDatabase(devices, smallPerDevice);
  const big = await queryDatabase(devices, bigPerDevice);
  const smallResults = await measureAll(small.path);
  const bigResults = await measureAll(big.path);
  const rows: (string | number)[][] = [['endpoint', 'small p50 ms', 'small p99 ms', 'big p50 ms', 'big p99 ms', 'ratio p50 big/small', 'answer bytes']];
  const ratios: Record<string, number> = {};
  for (const e of endpoints) {
    const s = smallResults[e.name]!;
    const b = bigResults[e.name]!;
    ratios[e.name] = round(b.p50 / s.p50);
    rows.push([e.name, s.p50, s.p99, b.p50, b.p99, ratios[e.name]!, b.bytes]);
  }
  printReport(
    'queries',
    `sequential requests (${repeats} each, history ${endpoints[4]!.repeats}) on ${devices} devices with ${small.samples.toLocaleString()} samples (small) and ${big.samples.toLocaleString()} samples (big)`,
    rows,
    { small_samples: small.samples, big_samples: big.samples, devices, small: smallResults, big: bigResults, ratio_p50: ratios, fill_seconds: { small: small.fillSeconds, big: big.fillSeconds } },
  );
}

await main();
