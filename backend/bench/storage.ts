// Storage benchmark: bytes on disk per stored sample after 1 million samples of simulated agents
// (through the storage layer), with the raw JSON size of a payload as the baseline.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { argument, printReport, round } from './report.js';
import { fillDatabase } from './synthetic.js';

const total = Number(argument('samples', '1000000'));
const devices = Number(argument('devices', '1000'));

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'fleetmon-bench-storage-'));
  try {
    const path = join(dir, 'monitor.sqlite');
    const perDevice = Math.ceil(total / devices);
    const result = await fillDatabase(path, { devices, samplesPerDevice: perDevice, intervalSeconds: 10, end: 1_800_000_000 });
    const db = new SQLite(path, { readonly: true });
    const payload = db.prepare('select avg(length(payload)) as bytes from (select payload from samples limit 10000)').get() as { bytes: number };
    const tables = db.prepare("select name, sum(pgsize) as bytes from dbstat group by name order by bytes desc").all() as { name: string; bytes: number }[];
    db.close();
    const fileBytes = statSync(path).size;
    const perSample = fileBytes / result.samples;
    const rows: (string | number)[][] = [
      ['what', 'bytes', 'per sample'],
      ['database file', fileBytes, round(perSample, 1)],
      ...tables.slice(0, 6).map((t) => [`  ${t.name}`, t.bytes, round(t.bytes / result.samples, 1)]),
      ['payload JSON (baseline)', '', round(payload.bytes, 1)],
      ['ratio file/payload', '', round(perSample / payload.bytes, 2)],
    ];
    printReport('storage', `${result.samples.toLocaleString()} simulated samples of ${devices} devices, ${result.alerts.toLocaleString()} alerts, WAL checkpointed`, rows, {
      samples: result.samples,
      file_bytes: fileBytes,
      bytes_per_sample: round(perSample, 1),
      payload_json_bytes: round(payload.bytes, 1),
      ratio_to_payload: round(perSample / payload.bytes, 2),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
