import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  createDiskCollector,
  diskUsageFromStatfs,
  isPseudoFilesystem,
  parseMountinfo,
  parseProcMounts,
  selectRealMounts,
  type Statfs,
  type StatfsResult,
  unescapeMountField,
} from './disks.js';
import { fixture, fixtureContext } from './test-fixtures.js';

const failWith = (code: string) => Object.assign(new Error(`${code}: statfs failed`), { code });

// What statfs(2) would say for each mount of the fixture desktop.
const DESKTOP: Record<string, StatfsResult> = {
  // ext4: 5 % reserved for root. used 700 blocks, available 250: 700 / 950 = 73.7 %.
  '/': { bsize: 4096, blocks: 1000, bfree: 300, bavail: 250, files: 640, ffree: 480 },
  // vfat: no inodes at all.
  '/boot/efi': { bsize: 512, blocks: 2048, bfree: 1536, bavail: 1536, files: 0, ffree: 0 },
  '/data': { bsize: 4096, blocks: 3000, bfree: 1000, bavail: 1000, files: 300, ffree: 297 },
  // btrfs also reports 0 inodes.
  '/home': { bsize: 4096, blocks: 8000, bfree: 1000, bavail: 1000, files: 0, ffree: 0 },
  '/media/alice/My Passport': { bsize: 131072, blocks: 100, bfree: 90, bavail: 90, files: 0, ffree: 0 },
  '/mnt/pool': { bsize: 4096, blocks: 10000, bfree: 2500, bavail: 2500, files: 1000, ffree: 999 },
};

const fakeStatfs =
  (table: Record<string, StatfsResult>, calls: string[] = []): Statfs =>
  async (path) => {
    calls.push(path);
    const stats = table[path];
    if (!stats) throw failWith(path === '/mnt/nas' ? 'ESTALE' : 'EACCES');
    return stats;
  };

describe('unescapeMountField', () => {
  it('decodes the octal escapes of space, tab, newline and backslash', () => {
    expect(unescapeMountField('/media/alice/My\\040Passport')).toBe('/media/alice/My Passport');
    expect(unescapeMountField('/a\\011b\\012c\\134d')).toBe('/a\tb\nc\\d');
  });
});

describe('isPseudoFilesystem', () => {
  it.each(['tmpfs', 'devtmpfs', 'overlay', 'squashfs', 'proc', 'sysfs', 'cgroup', 'cgroup2', 'nsfs', 'fuse.gvfsd-fuse', 'fuse.lxcfs', 'fuse.portal', 'fuse.snapfuse'])(
    '%s holds no user data',
    (fstype) => expect(isPseudoFilesystem(fstype)).toBe(true),
  );
  it.each(['ext4', 'xfs', 'btrfs', 'vfat', 'exfat', 'zfs', 'nfs4', 'cifs', 'fuseblk', 'fuse.mergerfs', 'fuse.sshfs'])(
    '%s is real storage',
    (fstype) => expect(isPseudoFilesystem(fstype)).toBe(false),
  );
});

describe('parseMountinfo', () => {
  it('reads device, mountpoint and type past any number of optional fields', async () => {
    const mounts = parseMountinfo(await readFile(fixture('proc', 'self', 'mountinfo'), 'utf8'));
    expect(mounts).toHaveLength(33);
    expect(mounts.find((m) => m.mountpoint === '/')).toEqual({ device: '/dev/nvme0n1p2', mountpoint: '/', fstype: 'ext4', deviceNumber: '259:2' });
    // "shared:520 master:1": two optional fields.
    expect(mounts.find((m) => m.mountpoint === '/mnt/pool')).toMatchObject({ fstype: 'fuse.mergerfs', device: 'mergerfs' });
    // No optional fields at all.
    expect(mounts.find((m) => m.fstype === 'overlay')).toMatchObject({ device: 'overlay' });
  });
});

describe('selectRealMounts', () => {
  it('keeps real filesystems, each at its shortest mountpoint', async () => {
    const mounts = selectRealMounts(parseMountinfo(await readFile(fixture('proc', 'self', 'mountinfo'), 'utf8')));
    expect(mounts.map((m) => [m.mountpoint, m.fstype, m.device])).toEqual([
      ['/', 'ext4', '/dev/nvme0n1p2'],
      ['/boot/efi', 'vfat', '/dev/nvme0n1p1'],
      // /dev/sda1 is mounted at /srv/data-disk first and bind-mounted at /data later: /data wins.
      ['/data', 'xfs', '/dev/sda1'],
      ['/home', 'btrfs', '/dev/sdb1'],
      ['/media/alice/My Passport', 'exfat', '/dev/sdc1'],
      ['/mnt/pool', 'fuse.mergerfs', 'mergerfs'],
      ['/mnt/nas', 'nfs4', 'nas.lan:/volume1/backup'],
    ]);
  });

  it('falls back to the source device to tell filesystems apart in /proc/mounts', async () => {
    const mounts = selectRealMounts(parseProcMounts(await readFile(fixture('proc-legacy', 'mounts'), 'utf8')));
    expect(mounts.map((m) => m.mountpoint)).toEqual(['/', '/boot', '/var/lib/my app']);
  });
});

describe('diskUsageFromStatfs', () => {
  const root = { device: '/dev/nvme0n1p2', mountpoint: '/', fstype: 'ext4' };

  it('computes use like df: reserved blocks count as neither used nor available', () => {
    expect(diskUsageFromStatfs(root, DESKTOP['/']!)).toEqual({
      mountpoint: '/',
      fstype: 'ext4',
      device: '/dev/nvme0n1p2',
      percent: 73.7,
      inode_percent: 25,
      total_bytes: 4096000,
      used_bytes: 2867200,
      free_bytes: 1024000,
    });
  });

  it('reports 0 % inodes for a filesystem without an inode count', () => {
    expect(diskUsageFromStatfs(root, DESKTOP['/home']!).inode_percent).toBe(0);
  });

  it('never reports negative use when a filesystem claims more free blocks than it has', () => {
    expect(diskUsageFromStatfs(root, { bsize: 4096, blocks: 10, bfree: 20, bavail: 20, files: 0, ffree: 0 })).toMatchObject({ percent: 0, used_bytes: 0 });
  });

  it('reports 0 % for an empty filesystem rather than dividing by zero', () => {
    expect(diskUsageFromStatfs(root, { bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 }).percent).toBe(0);
  });
});

describe('createDiskCollector', () => {
  it('measures every real mount, and reports the one statfs refuses as not measured, saying why', async () => {
    const warnings: string[] = [];
    const disks = await createDiskCollector(fixtureContext('proc'), { statfs: fakeStatfs(DESKTOP), warn: (m) => warnings.push(m) }).collect();
    expect(warnings).toEqual(['statfs on /mnt/nas failed (ESTALE); reporting its space as not measured']);
    expect(disks.map((d) => [d.mountpoint, d.percent, d.inode_percent])).toEqual([
      ['/', 73.7, 25],
      ['/boot/efi', 25, 0],
      ['/data', 66.7, 1],
      ['/home', 87.5, 0],
      ['/media/alice/My Passport', 10, 0],
      ['/mnt/pool', 75, 0.1],
      // ESTALE: still listed, so its "Low Disk Space" alert is not taken for recovered.
      ['/mnt/nas', null, null],
    ]);
    expect(disks.at(-1)).toEqual({
      mountpoint: '/mnt/nas',
      fstype: 'nfs4',
      device: 'nas.lan:/volume1/backup',
      percent: null,
      inode_percent: null,
      total_bytes: null,
      used_bytes: null,
      free_bytes: null,
    });
  });

  it('reads /proc/mounts when there is no mountinfo', async () => {
    const calls: string[] = [];
    const disks = await createDiskCollector(fixtureContext('proc-legacy'), { statfs: fakeStatfs({}, calls) }).collect();
    expect(calls).toEqual(['/', '/boot', '/var/lib/my app']);
    // statfs refused them all (EACCES): every one is listed, none measured.
    expect(disks.map((d) => [d.mountpoint, d.device, d.percent])).toEqual([
      ['/', '/dev/mapper/vg_root-lv_root', null],
      ['/boot', '/dev/sda1', null],
      ['/var/lib/my app', '/dev/mapper/vg_root-lv_var', null],
    ]);
  });

  it('adds the reads and writes of each mount\'s device since the previous collect', async () => {
    const ctx = fixtureContext('proc');
    const collector = createDiskCollector(ctx, { statfs: fakeStatfs(DESKTOP) });
    ctx.procRoot = fixture('proc-later');
    const disks = await collector.collect();
    expect(disks.find((d) => d.mountpoint === '/')).toEqual({
      ...diskUsageFromStatfs({ device: '/dev/nvme0n1p2', mountpoint: '/', fstype: 'ext4' }, DESKTOP['/']!),
      read_bytes: 4096 * 512,
      write_bytes: 20480 * 512,
      read_count: 120,
      write_count: 340,
    });
    // NFS, mergerfs: no block device of their own, so no I/O figures; and none for a mount statfs refused either.
    expect(disks.map((d) => [d.mountpoint, d.write_bytes])).toEqual([
      ['/', 10485760],
      ['/boot/efi', 0],
      ['/data', 524288000],
      ['/home', 49152],
      ['/media/alice/My Passport', 0],
      ['/mnt/pool', undefined],
      ['/mnt/nas', undefined],
    ]);
  });

  it('sends no I/O figures before it has two readings of /proc/diskstats', async () => {
    const ctx = fixtureContext('proc-legacy');
    const collector = createDiskCollector(ctx, { statfs: fakeStatfs(DESKTOP) });
    ctx.procRoot = fixture('proc');
    const disks = await collector.collect();
    expect(disks.find((d) => d.mountpoint === '/')).not.toHaveProperty('read_bytes');
    // The next collect has the reading it needs.
    expect((await collector.collect()).find((d) => d.mountpoint === '/')).toMatchObject({ read_bytes: 0, write_count: 0 });
  });

  it('gives up on a mount that hangs, and does not ask it again until it answers', async () => {
    const calls: string[] = [];
    const nasStats: StatfsResult = { bsize: 4096, blocks: 100, bfree: 50, bavail: 50, files: 10, ffree: 5 };
    let nasIsBack = false;
    let answerNas: (stats: StatfsResult) => void = () => {};
    const statfs: Statfs = (path) => {
      if (path !== '/mnt/nas') return fakeStatfs(DESKTOP, calls)(path);
      calls.push(path);
      return nasIsBack ? Promise.resolve(nasStats) : new Promise((resolve) => (answerNas = resolve));
    };
    const warnings: string[] = [];
    const collector = createDiskCollector(fixtureContext('proc'), { statfs, statfsTimeoutMs: 50, warn: (m) => warnings.push(m) });
    const nas = async () => (await collector.collect()).find((d) => d.mountpoint === '/mnt/nas');
    const started = Date.now();
    expect(await nas()).toMatchObject({ fstype: 'nfs4', device: 'nas.lan:/volume1/backup', percent: null, inode_percent: null, total_bytes: null });
    expect(Date.now() - started).toBeLessThan(1000);
    // Still hung: not measured, and not asked again.
    expect((await nas())?.percent).toBeNull();
    expect(calls.filter((p) => p === '/mnt/nas')).toHaveLength(1);
    expect(warnings).toEqual(['statfs on /mnt/nas did not answer within 0.05 s; reporting its space as not measured until it does']);

    nasIsBack = true;
    answerNas(nasStats);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await collector.collect()).find((d) => d.mountpoint === '/mnt/nas')?.percent).toBe(50);
  });

  it('fails when there is no mount table at all', async () => {
    await expect(createDiskCollector(fixtureContext('no-such-proc'), { statfs: fakeStatfs(DESKTOP) }).collect()).rejects.toThrow(/ENOENT/);
  });
});
