// Space and inode use of each real filesystem, like `df`: the mount table from procfs, the
// numbers from statfs(2) (systeminformation reports no inodes, hence statfs); and its device's
// reads and writes over the interval (disk-io.ts).
import { readFile, statfs as nodeStatfs } from 'node:fs/promises';
import type { StatsFs } from 'node:fs';
import { type CollectorContext, procPath } from './context.js';
import { type DiskIo, type DiskstatsSnapshot, mountIoBetween, readDiskstats } from './disk-io.js';
import { errorCode, errorMessage, hasErrorCode } from './errors.js';
import { percentOf } from './percent.js';

export interface MountEntry {
  device: string;
  mountpoint: string;
  fstype: string;
  /** `major:minor` of the filesystem, known from mountinfo only. */
  deviceNumber?: string;
}

export type StatfsResult = Pick<StatsFs, 'bsize' | 'blocks' | 'bfree' | 'bavail' | 'files' | 'ffree'>;
export type Statfs = (path: string) => Promise<StatfsResult>;

/** null: not measured (statfs failed or hangs); I/O fields absent: no interval for the device. */
export type DiskUsage = {
  mountpoint: string;
  fstype: string;
  device: string;
  percent: number | null;
  inode_percent: number | null;
  total_bytes: number | null;
  used_bytes: number | null;
  /** Space an unprivileged user can still write (df's "Avail"), not counting root's reserve. */
  free_bytes: number | null;
} & Partial<DiskIo>;

// Filesystems that hold no user data, or are always full by design (images, optical media):
// reporting them would only raise false "Low Disk Space" alerts.
const PSEUDO_FILESYSTEMS = new Set([
  'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs',
  'efivarfs', 'fusectl', 'hugetlbfs', 'mqueue', 'nsfs', 'proc', 'pstore', 'ramfs', 'rootfs',
  'rpc_pipefs', 'securityfs', 'selinuxfs', 'sysfs', 'tmpfs', 'tracefs', 'nfsd',
  'overlay', 'aufs', 'squashfs', 'erofs', 'iso9660', 'udf',
  // Plain "fuse" without a subtype is an unknown daemon; fuseblk (ntfs-3g, exfat-fuse) is a real disk.
  'fuse',
]);

// Most FUSE daemons are views, not storage (gvfsd-fuse, lxcfs, portal, snapfuse, AppImages, which
// are always 100% full), and their names are open-ended, so fuse.* is skipped unless listed here.
const FUSE_STORAGE = new Set(['mergerfs', 'sshfs', 'rclone', 's3fs', 'glusterfs', 'ceph-fuse', 'gocryptfs', 'encfs', 'juicefs']);

export function isPseudoFilesystem(fstype: string): boolean {
  if (fstype.startsWith('fuse.')) return !FUSE_STORAGE.has(fstype.slice('fuse.'.length));
  return PSEUDO_FILESYSTEMS.has(fstype);
}

/** The kernel writes space, tab, newline and backslash in mount fields as octal escapes (`\040`). */
export const unescapeMountField = (field: string): string =>
  field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** `/proc/self/mountinfo`: id parent major:minor root mountpoint options [optional...] - fstype source superoptions */
export function parseMountinfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    const deviceNumber = fields[2];
    const mountpoint = fields[4];
    const fstype = fields[separator + 1];
    const device = fields[separator + 2];
    if (separator < 0 || !deviceNumber || !mountpoint || !fstype || device === undefined) continue;
    mounts.push({ device: unescapeMountField(device), mountpoint: unescapeMountField(mountpoint), fstype, deviceNumber });
  }
  return mounts;
}

/** `/proc/mounts`: source mountpoint fstype options dump pass */
export function parseProcMounts(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, mountpoint, fstype] = line.split(' ');
    if (!device || !mountpoint || !fstype) continue;
    mounts.push({ device: unescapeMountField(device), mountpoint: unescapeMountField(mountpoint), fstype });
  }
  return mounts;
}

const preferMountpoint = (a: string, b: string): boolean => a.length < b.length || (a.length === b.length && a < b);

/**
 * Real filesystems, each once. A filesystem mounted twice (bind mounts, the same NFS export) is
 * reported at its shortest mountpoint. Identity is major:minor where known, since sources need not
 * be unique (WSL mounts every drive from "drvfs").
 */
export function selectRealMounts(mounts: MountEntry[]): MountEntry[] {
  const byFilesystem = new Map<string, MountEntry>();
  for (const mount of mounts) {
    if (isPseudoFilesystem(mount.fstype)) continue;
    const key = mount.deviceNumber ?? mount.device;
    const kept = byFilesystem.get(key);
    if (!kept || preferMountpoint(mount.mountpoint, kept.mountpoint)) byFilesystem.set(key, mount);
  }
  return [...byFilesystem.values()];
}

export function diskUsageFromStatfs(mount: MountEntry, stats: StatfsResult): DiskUsage {
  // Some FUSE and network filesystems report more free blocks than they have.
  const used = Math.max(0, stats.blocks - stats.bfree) * stats.bsize;
  const available = stats.bavail * stats.bsize;
  return {
    mountpoint: mount.mountpoint,
    fstype: mount.fstype,
    device: mount.device,
    // As df computes it: root's reserved blocks count as neither used nor available.
    percent: percentOf(used, used + available),
    // btrfs and vfat report 0 inodes: they allocate them on demand, so there is nothing to run out of.
    inode_percent: percentOf(stats.files - stats.ffree, stats.files),
    total_bytes: stats.blocks * stats.bsize,
    used_bytes: used,
    free_bytes: available,
  };
}

/**
 * A mount statfs cannot measure stays in the list: leaving it out would read as "no longer low on
 * space" and close its alert, when all we know is that we could not look.
 */
export function unmeasuredDiskUsage(mount: MountEntry): DiskUsage {
  return {
    mountpoint: mount.mountpoint,
    fstype: mount.fstype,
    device: mount.device,
    percent: null,
    inode_percent: null,
    total_bytes: null,
    used_bytes: null,
    free_bytes: null,
  };
}

export async function readMountTable(ctx: CollectorContext): Promise<MountEntry[]> {
  try {
    return parseMountinfo(await readFile(procPath(ctx, 'self', 'mountinfo'), 'utf8'));
  } catch (err) {
    if (!hasErrorCode(err, 'ENOENT')) throw err;
    return parseProcMounts(await readFile(procPath(ctx, 'mounts'), 'utf8'));
  }
}

export interface DiskCollectorOptions {
  statfs?: Statfs;
  /** How long one mount may take to answer (a dead NFS server never does). */
  statfsTimeoutMs?: number;
  /** Told why a mount is reported as not measured; the agent logs each distinct message once. */
  warn?: (message: string) => void;
}

export interface DiskCollector {
  collect(): Promise<DiskUsage[]>;
}

const STATFS_TIMEOUT_MS = 5000;

/**
 * A mount whose statfs fails (EACCES, ESTALE) or hangs is reported as not measured. A hung call
 * still holds one of libuv's few threadpool threads, so the mount is not asked again until it
 * answers; otherwise each sample would pin one more thread until all file I/O in the agent stalls.
 * I/O counts cover the interval since the previous collect (the first, since creation).
 */
export function createDiskCollector(ctx: CollectorContext, options: DiskCollectorOptions = {}): DiskCollector {
  const statfs = options.statfs ?? ((path: string) => nodeStatfs(path));
  const timeoutMs = options.statfsTimeoutMs ?? STATFS_TIMEOUT_MS;
  const warn = options.warn ?? (() => {});
  const hung = new Set<string>();
  let previousIo: DiskstatsSnapshot | undefined = readDiskstats(ctx);

  async function usageOf(mount: MountEntry): Promise<DiskUsage> {
    if (hung.has(mount.mountpoint)) return unmeasuredDiskUsage(mount);
    const call = statfs(mount.mountpoint);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const stats = await Promise.race([call, deadline]);
      if (stats !== 'timeout') return diskUsageFromStatfs(mount, stats);
      hung.add(mount.mountpoint);
      warn(`statfs on ${mount.mountpoint} did not answer within ${timeoutMs / 1000} s; reporting its space as not measured until it does`);
      call.then(
        () => hung.delete(mount.mountpoint),
        () => hung.delete(mount.mountpoint),
      );
      return unmeasuredDiskUsage(mount);
    } catch (err) {
      warn(`statfs on ${mount.mountpoint} failed (${errorCode(err) ?? errorMessage(err)}); reporting its space as not measured`);
      return unmeasuredDiskUsage(mount);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async collect() {
      const mounts = selectRealMounts(await readMountTable(ctx));
      const before = previousIo;
      const io = readDiskstats(ctx);
      previousIo = io;
      return Promise.all(mounts.map(async (mount) => ({ ...(await usageOf(mount)), ...mountIoBetween(mount, before, io) })));
    },
  };
}
