// Reads and writes of each filesystem's block device from /proc/diskstats, as counts over the
// interval since the previous reading: like network traffic, lifetime totals say nothing about now.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type CollectorContext, procPath } from './context.js';
import { counterDelta } from './counters.js';
import type { MountEntry } from './disks.js';

export interface DiskIoCounters {
  readsCompleted: number;
  sectorsRead: number;
  writesCompleted: number;
  sectorsWritten: number;
}

export interface DiskstatsEntry {
  /** `major:minor`, as mountinfo names a filesystem's device. */
  deviceNumber: string;
  name: string;
  counters: DiskIoCounters;
}

export interface DiskstatsSnapshot {
  byDeviceNumber: Map<string, DiskstatsEntry>;
  byName: Map<string, DiskstatsEntry>;
}

export type DiskIo = {
  read_bytes: number;
  write_bytes: number;
  read_count: number;
  write_count: number;
};

// Columns of a line, counted from 0: major minor name, then the kernel's statistics
// (Documentation/admin-guide/iostats.rst, fields 1, 3, 5 and 7).
const READS_COMPLETED = 3;
const SECTORS_READ = 5;
const WRITES_COMPLETED = 7;
const SECTORS_WRITTEN = 9;

/** diskstats counts in 512-byte sectors whatever the device's own sector size. */
const SECTOR_BYTES = 512;

export function parseDiskstats(text: string): DiskstatsSnapshot {
  const snapshot: DiskstatsSnapshot = { byDeviceNumber: new Map(), byName: new Map() };
  for (const line of text.split('\n')) {
    const columns = line.trim().split(/\s+/);
    const [major, minor, name] = columns;
    const numberAt = (column: number): number => Number(columns[column] ?? Number.NaN);
    const counters: DiskIoCounters = {
      readsCompleted: numberAt(READS_COMPLETED),
      sectorsRead: numberAt(SECTORS_READ),
      writesCompleted: numberAt(WRITES_COMPLETED),
      sectorsWritten: numberAt(SECTORS_WRITTEN),
    };
    if (!major || !minor || !name || !Object.values(counters).every(Number.isFinite)) continue;
    const entry = { deviceNumber: `${major}:${minor}`, name, counters };
    snapshot.byDeviceNumber.set(entry.deviceNumber, entry);
    snapshot.byName.set(name, entry);
  }
  return snapshot;
}

/**
 * The block device under a mount: by major:minor where mountinfo gives it, else by the source's
 * name, which also covers btrfs (its mounts carry an anonymous 0:N number, not the disk's).
 */
export function diskstatsEntryFor(mount: MountEntry, snapshot: DiskstatsSnapshot): DiskstatsEntry | undefined {
  const byNumber = mount.deviceNumber === undefined ? undefined : snapshot.byDeviceNumber.get(mount.deviceNumber);
  if (byNumber) return byNumber;
  return mount.device.startsWith('/dev/') ? snapshot.byName.get(path.posix.basename(mount.device)) : undefined;
}

export function diskIoBetween(before: DiskIoCounters, after: DiskIoCounters): DiskIo {
  return {
    read_bytes: counterDelta(before.sectorsRead, after.sectorsRead) * SECTOR_BYTES,
    write_bytes: counterDelta(before.sectorsWritten, after.sectorsWritten) * SECTOR_BYTES,
    read_count: counterDelta(before.readsCompleted, after.readsCompleted),
    write_count: counterDelta(before.writesCompleted, after.writesCompleted),
  };
}

/** Undefined when unreadable: then no filesystem gets I/O figures, and space is still reported. */
export function readDiskstats(ctx: CollectorContext): DiskstatsSnapshot | undefined {
  try {
    return parseDiskstats(readFileSync(procPath(ctx, 'diskstats'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** I/O of a mount's device over the interval, or undefined when either reading lacks it (not measured). */
export function mountIoBetween(mount: MountEntry, before: DiskstatsSnapshot | undefined, after: DiskstatsSnapshot | undefined): DiskIo | undefined {
  const current = after && diskstatsEntryFor(mount, after);
  const previous = current && before?.byDeviceNumber.get(current.deviceNumber);
  return current && previous ? diskIoBetween(previous.counters, current.counters) : undefined;
}
