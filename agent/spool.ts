// The on-disk spool: every sample is written here first and deleted only once the backend has
// acknowledged it, so neither an outage, a crash nor a restart loses it. One file per sample,
// named by collection time so that name order is send order. Bounded: past the cap the oldest
// samples are dropped, and counted in the log.
import { mkdir, readFile, readdir, rename, rm, stat, writeFile, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import type { MetricsPayload } from '../shared/payload.js';

export interface SpooledSample {
  name: string;
  /** When the sample was collected, milliseconds since the epoch. */
  collectedAt: number;
  payload: MetricsPayload;
}

interface Entry {
  name: string;
  bytes: number;
}

export interface SpoolLog {
  warn(message: string): void;
}

const SUFFIX = '.json';

export class Spool {
  private entries: Entry[] = [];
  private bytes = 0;
  /** Samples dropped to respect the cap since the agent started. */
  dropped = 0;

  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly log: SpoolLog,
  ) {}

  /** Open (creating if needed) a spool directory and take stock of what an earlier run left. */
  static async open(dir: string, maxBytes: number, log: SpoolLog): Promise<Spool> {
    const spool = new Spool(dir, maxBytes, log);
    await mkdir(dir, { recursive: true });
    // Found out now rather than at the first sample, which would then be lost.
    await access(dir, constants.W_OK);
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const path = join(dir, name);
      // A .tmp file is a write cut short by a crash: its sample was never acknowledged as spooled.
      if (!name.endsWith(SUFFIX)) {
        if (name.endsWith('.tmp')) await rm(path, { force: true });
        continue;
      }
      spool.entries.push({ name, bytes: (await stat(path)).size });
    }
    spool.bytes = spool.entries.reduce((sum, e) => sum + e.bytes, 0);
    return spool;
  }

  get count(): number {
    return this.entries.length;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  async put(payload: MetricsPayload, collectedAt: number): Promise<void> {
    const id = payload.sample_id ?? `${collectedAt}`;
    const name = `${String(Math.floor(collectedAt)).padStart(15, '0')}-${id}${SUFFIX}`;
    const text = JSON.stringify({ collected_at: collectedAt, payload });
    const tmp = join(this.dir, `${name}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(this.dir, name));
    this.entries.push({ name, bytes: Buffer.byteLength(text) });
    this.bytes += Buffer.byteLength(text);
    await this.enforceCap();
  }

  /** The oldest sample waiting to be sent; unreadable files are set aside with a warning. */
  async oldest(): Promise<SpooledSample | undefined> {
    for (;;) {
      const entry = this.entries[0];
      if (!entry) return undefined;
      try {
        const record = JSON.parse(await readFile(join(this.dir, entry.name), 'utf8')) as { collected_at: number; payload: MetricsPayload };
        return { name: entry.name, collectedAt: record.collected_at, payload: record.payload };
      } catch (err) {
        this.log.warn(`spool file ${entry.name} is unreadable (${(err as Error).message}); renamed to ${entry.name}.bad`);
        await rename(join(this.dir, entry.name), join(this.dir, `${entry.name}.bad`)).catch(() => undefined);
        this.forget(entry.name);
      }
    }
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.dir, name), { force: true });
    this.forget(name);
  }

  private forget(name: string): void {
    const index = this.entries.findIndex((e) => e.name === name);
    if (index < 0) return;
    this.bytes -= this.entries[index]!.bytes;
    this.entries.splice(index, 1);
  }

  private async enforceCap(): Promise<void> {
    let dropped = 0;
    // Always keep the newest sample, even if it alone is over the cap.
    while (this.bytes > this.maxBytes && this.entries.length > 1) {
      await this.remove(this.entries[0]!.name);
      dropped += 1;
    }
    if (dropped > 0) {
      this.dropped += dropped;
      this.log.warn(
        `spool ${this.dir} is over its ${this.maxBytes}-byte cap: dropped the ${dropped} oldest sample(s) ` +
          `(${this.dropped} since start). Raise --spool-max or check why the backend is unreachable.`,
      );
    }
  }
}
