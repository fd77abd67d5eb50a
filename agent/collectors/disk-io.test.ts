import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diskIoBetween, diskstatsEntryFor, mountIoBetween, parseDiskstats } from './disk-io.js';
import type { MountEntry } from './disks.js';
import { fixture } from './test-fixtures.js';

const diskstats = (tree: string) => parseDiskstats(readFileSync(fixture(tree, 'diskstats'), 'utf8'));

const ROOT: MountEntry = { device: '/dev/nvme0n1p2', mountpoint: '/', fstype: 'ext4', deviceNumber: '259:2' };
// btrfs mounts carry an anonymous device number; the source names the disk.
const HOME: MountEntry = { device: '/dev/sdb1', mountpoint: '/home', fstype: 'btrfs', deviceNumber: '0:45' };
const NAS: MountEntry = { device: 'nas.lan:/volume1/backup', mountpoint: '/mnt/nas', fstype: 'nfs4', deviceNumber: '0:66' };

describe('parseDiskstats', () => {
  it('reads reads and writes completed and sectors moved, by major:minor and by name', () => {
    const snapshot = diskstats('proc');
    expect(snapshot.byDeviceNumber.get('259:2')).toEqual({
      deviceNumber: '259:2',
      name: 'nvme0n1p2',
      counters: { readsCompleted: 829511, sectorsRead: 60980318, writesCompleted: 1402329, sectorsWritten: 112034550 },
    });
    expect(snapshot.byName.get('sdb1')?.deviceNumber).toBe('8:17');
    expect(snapshot.byDeviceNumber.size).toBe(11);
  });

  it('reads the 14-column lines of kernels before 4.18, and skips what is no line of counters', () => {
    const snapshot = parseDiskstats('   8       0 sda 120334 4021 30211222 401223 80221 30112 12022344 220112 0 330221 621335\nsda\n\n');
    expect(snapshot.byName.get('sda')?.counters).toEqual({ readsCompleted: 120334, sectorsRead: 30211222, writesCompleted: 80221, sectorsWritten: 12022344 });
    expect(snapshot.byName.size).toBe(1);
  });
});

describe('diskstatsEntryFor', () => {
  it('finds a mount\'s device by major:minor, else by the source\'s name', () => {
    const snapshot = diskstats('proc');
    expect(diskstatsEntryFor(ROOT, snapshot)?.name).toBe('nvme0n1p2');
    expect(diskstatsEntryFor(HOME, snapshot)?.name).toBe('sdb1');
    expect(diskstatsEntryFor({ device: '/dev/sda1', mountpoint: '/boot', fstype: 'ext4' }, snapshot)?.name).toBe('sda1');
    expect(diskstatsEntryFor(NAS, snapshot)).toBeUndefined();
  });
});

describe('diskIoBetween', () => {
  it('counts operations, and bytes in 512-byte sectors', () => {
    const before = { readsCompleted: 10, sectorsRead: 100, writesCompleted: 5, sectorsWritten: 8 };
    const after = { readsCompleted: 12, sectorsRead: 108, writesCompleted: 9, sectorsWritten: 16 };
    expect(diskIoBetween(before, after)).toEqual({ read_bytes: 4096, write_bytes: 4096, read_count: 2, write_count: 4 });
  });
});

describe('mountIoBetween', () => {
  it('is the interval between two readings', () => {
    expect(mountIoBetween(HOME, diskstats('proc'), diskstats('proc-later'))).toEqual({ read_bytes: 560 * 512, write_bytes: 96 * 512, read_count: 35, write_count: 12 });
  });

  it('counts from zero when the counters restarted (the USB disk was plugged in again)', () => {
    const usb: MountEntry = { device: '/dev/sdc1', mountpoint: '/media/alice/My Passport', fstype: 'exfat', deviceNumber: '8:33' };
    expect(mountIoBetween(usb, diskstats('proc'), diskstats('proc-later'))).toEqual({ read_bytes: 240 * 512, write_bytes: 0, read_count: 15, write_count: 0 });
  });

  it('is not measured without both readings, or for a mount without a block device', () => {
    expect(mountIoBetween(ROOT, undefined, diskstats('proc-later'))).toBeUndefined();
    expect(mountIoBetween(ROOT, diskstats('proc'), undefined)).toBeUndefined();
    expect(mountIoBetween(NAS, diskstats('proc'), diskstats('proc-later'))).toBeUndefined();
  });
});
