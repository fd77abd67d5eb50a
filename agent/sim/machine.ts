// One simulated machine: a stable profile drawn from its own random stream (disks, sensors,
// interfaces, critical processes, what it runs on) and values that drift from sample to sample
// the way real ones do. Now and then it falls into a fault episode that crosses exactly one rule
// of the alert table for a few samples, then goes back to normal so the alert recovers.
import type { DiskMetrics, MetricsPayload, NetworkInterfaceMetrics, SensorReading } from '../../shared/payload.js';
import { type Rng, createRng, mixSeed } from './random.js';

/** The kinds of trouble a machine can get into, one per rule of the original table. */
export const FAULT_KINDS = [
  'cpu',
  'memory',
  'swap',
  'disk_space',
  'inodes',
  'overheat',
  'time_drift',
  'network_inactive',
  'network_errors',
  'custom_alert',
  'zombies',
  'process_down',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The rule id (backend/alerts/rules.ts) each fault kind crosses. */
export const FAULT_RULES: Readonly<Record<FaultKind, string>> = {
  cpu: 'cpu_high',
  memory: 'memory_high',
  swap: 'swap_high',
  disk_space: 'disk_space_low',
  inodes: 'inode_high',
  overheat: 'overheat',
  time_drift: 'time_drift_high',
  network_inactive: 'network_inactive',
  network_errors: 'network_errors',
  custom_alert: 'custom_alert',
  zombies: 'zombie_processes',
  process_down: 'critical_process_down',
};

/** A fault episode lasts this many samples, uniformly. */
export const EPISODE_TICKS = { min: 3, max: 12 } as const;
const MEAN_EPISODE_TICKS = (EPISODE_TICKS.min + EPISODE_TICKS.max) / 2;

/**
 * Chance per healthy sample of a fault starting, such that about `faultRate` of the machines are
 * in a fault at any time. A machine alternates an episode of L samples with a healthy spell of
 * 1 + Geometric(p) samples (the first healthy sample is always the recovery), so the share of
 * time in a fault is L / (L + 1/p); solving for p gives faultRate / (L × (1 − faultRate)).
 */
export function faultStartProbability(faultRate: number): number {
  if (faultRate <= 0) return 0;
  if (faultRate >= 1) return 1;
  return Math.min(1, faultRate / (MEAN_EPISODE_TICKS * (1 - faultRate)));
}

export interface MachineOptions {
  /** Share of the fleet in a fault at any time, 0..1. */
  faultRate: number;
  /** The interval the machine reports at (sent as `interval_seconds`). */
  intervalSeconds: number;
}

interface DiskProfile {
  mountpoint: string;
  fstype: string;
  device: string;
  totalBytes: number;
  /** Whether the filesystem has a fixed inode table (vfat and btrfs do not). */
  hasInodes: boolean;
  /** Percent points gained per day; 0 for a disk that does not grow. */
  fillPerDay: number;
  /** Inode use relative to space use. */
  inodeRatio: number;
}

interface SensorProfile {
  label: string;
  high: number | null;
  critical: number | null;
  /** Temperature at no load, and how much full load adds. */
  idle: number;
  heat: number;
  /** Whether an overheat fault may push this sensor over its `high`. */
  canOverheat: boolean;
}

interface InterfaceProfile {
  name: string;
  /** This interface's share of the machine's traffic; 0 for one that is down (wlan0 on a server). */
  share: number;
  /** Bytes sent per byte received: a web server sends more than it gets, a backup target less. */
  sentRatio: number;
  packetBytes: number;
}

export interface MachineProfile {
  role: string;
  host: { os: string; kernel: string; arch: string; cpu_model: string; cpu_cores: number };
  /** CPU percent around which the load wanders, and the height of its daily wave (a share of it). */
  baseCpu: number;
  dailyWave: number;
  dailyPhase: number;
  baseMemory: number;
  /** Swap percent around which it wanders; undefined for a machine without swap. */
  baseSwap: number | undefined;
  disks: DiskProfile[];
  sensors: Record<string, SensorProfile[]>;
  interfaces: InterfaceProfile[];
  /** Bytes per second through all interfaces when idle and at full load. */
  idleBytesPerSecond: number;
  fullBytesPerSecond: number;
  ntpSynced: boolean;
  criticalProcesses: string[];
}

export interface SimulatedMachine {
  readonly id: string;
  readonly profile: MachineProfile;
  /** The fault of the latest sample, if it was in one. */
  readonly fault: FaultKind | undefined;
  /** Fault episodes started so far. */
  readonly faultsStarted: number;
  /** The next sample, measured at `now` (Unix seconds). */
  next(now: number): MetricsPayload;
}

const GB = 1e9;

const OPERATING_SYSTEMS = [
  { os: 'Debian GNU/Linux 12', kernels: ['6.1.0-18-amd64', '6.1.0-25-amd64', '6.1.0-28-amd64'] },
  { os: 'Debian GNU/Linux 11', kernels: ['5.10.0-28-amd64', '5.10.0-32-amd64'] },
  { os: 'Ubuntu 22.04.4 LTS', kernels: ['5.15.0-105-generic', '5.15.0-119-generic', '6.5.0-41-generic'] },
  { os: 'Ubuntu 24.04.1 LTS', kernels: ['6.8.0-45-generic', '6.8.0-51-generic'] },
  { os: 'Rocky Linux 9.4', kernels: ['5.14.0-427.13.1.el9_4.x86_64', '5.14.0-427.37.1.el9_4.x86_64'] },
  { os: 'AlmaLinux 8.10', kernels: ['4.18.0-553.el8_10.x86_64'] },
  { os: 'Alpine Linux 3.20.3', kernels: ['6.6.49-0-lts'] },
  { os: 'Fedora Linux 40', kernels: ['6.10.6-200.fc40.x86_64'] },
] as const;

const CPU_MODELS = [
  'Intel Xeon Gold 6338',
  'Intel Xeon Silver 4314',
  'Intel Xeon E-2388G',
  'Intel Xeon E5-2680 v4',
  'Intel Xeon Platinum 8375C',
  'Intel Core i7-12700',
  'Intel Core i5-10500T',
] as const;

const LOGICAL_CORES = [2, 4, 4, 8, 8, 8, 12, 16, 16, 24, 32, 48, 64] as const;

/** What a machine is for decides its processes, how busy it is and how it uses the network. */
const ROLES = [
  { role: 'web', processes: ['nginx', 'sshd', 'php-fpm8.2', 'node'], cpu: [8, 45], sentRatio: [2, 6] },
  { role: 'db', processes: ['postgres', 'sshd', 'pgbouncer'], cpu: [10, 50], sentRatio: [0.5, 3] },
  { role: 'cache', processes: ['redis-server', 'sshd'], cpu: [3, 25], sentRatio: [1, 2] },
  { role: 'docker', processes: ['dockerd', 'containerd', 'sshd'], cpu: [10, 55], sentRatio: [0.5, 2] },
  { role: 'worker', processes: ['sshd', 'cron', 'celery'], cpu: [5, 60], sentRatio: [0.3, 1] },
  { role: 'backup', processes: ['sshd', 'borg', 'cron'], cpu: [2, 20], sentRatio: [0.05, 0.3] },
] as const;

const EXTRA_MOUNTS = ['/var', '/home', '/data', '/boot/efi', '/srv'] as const;
const PRIMARY_INTERFACES = ['eth0', 'eno1', 'ens3', 'ens18', 'enp3s0', 'bond0'] as const;
const EXTRA_INTERFACES = ['eth1', 'eno2', 'wlan0', 'docker0', 'br0', 'wg0'] as const;

const CUSTOM_MESSAGES = [
  'RAID array /dev/md0 degraded: 1 of 2 disks missing',
  'backup job failed: exit status 2',
  'TLS certificate for www expires in 3 days',
  'SMART: 24 reallocated sectors on /dev/sda',
  'replication lag 412 s',
  'NFS mount /mnt/shared not responding',
] as const;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
const round = (value: number, digits: number) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

function drawDisks(rng: Rng, rhel: boolean): DiskProfile[] {
  const rootFs = rhel ? 'xfs' : rng.pick(['ext4', 'ext4', 'ext4', 'btrfs'] as const);
  const nvme = rng.chance(0.6);
  const part = (n: number) => (nvme ? `/dev/nvme0n1p${n}` : `/dev/sda${n}`);
  const disks: DiskProfile[] = [
    {
      mountpoint: '/',
      fstype: rootFs,
      device: part(2),
      totalBytes: Math.round(rng.between(20, 500) * GB),
      hasInodes: rootFs !== 'btrfs',
      fillPerDay: rng.between(0, 2),
      inodeRatio: rng.between(0.05, 0.6),
    },
  ];
  for (const mountpoint of rng.pickSome(EXTRA_MOUNTS, rng.int(0, 3))) {
    if (mountpoint === '/boot/efi') {
      disks.push({ mountpoint, fstype: 'vfat', device: part(1), totalBytes: 536_870_912, hasInodes: false, fillPerDay: 0, inodeRatio: 0 });
      continue;
    }
    const fstype = rhel ? 'xfs' : rng.pick(['ext4', 'ext4', 'xfs'] as const);
    const big = mountpoint === '/data' || mountpoint === '/srv';
    disks.push({
      mountpoint,
      fstype,
      device: mountpoint === '/data' ? '/dev/md0' : `/dev/mapper/vg0-${mountpoint.slice(1)}`,
      totalBytes: Math.round((big ? rng.between(500, 16_000) : rng.between(50, 2_000)) * GB),
      hasInodes: true,
      // /var collects logs and /data collects data; both fill faster than the rest.
      fillPerDay: mountpoint === '/var' || big ? rng.between(0.5, 8) : rng.between(0, 1),
      inodeRatio: rng.chance(0.1) ? rng.between(0.8, 1.2) : rng.between(0.02, 0.5),
    });
  }
  return disks;
}

function drawSensors(rng: Rng, logicalCores: number): Record<string, SensorProfile[]> {
  const high = rng.pick([80, 82, 84, 86, 90] as const);
  const critical = rng.pick([96, 100, 100, 105] as const);
  const idle = rng.between(28, 45);
  // At full load the package stays 6-15 °C under its limit: only an overheat fault crosses it.
  const heat = high - rng.between(6, 15) - idle;
  const cores = clamp(Math.round(logicalCores / 2), 2, 16);
  const coretemp: SensorProfile[] = [{ label: 'Package id 0', high, critical, idle, heat, canOverheat: true }];
  for (let i = 0; i < cores; i++) {
    coretemp.push({ label: `Core ${i}`, high, critical, idle: idle - rng.between(0, 4), heat: heat - rng.between(0, 4), canOverheat: true });
  }
  const sensors: Record<string, SensorProfile[]> = { coretemp };
  if (rng.chance(0.6)) {
    const nvmeHigh = rng.pick([70.85, 74.85, 79.85, 81.85, 84.85] as const);
    const nvme: SensorProfile[] = [
      { label: 'Composite', high: nvmeHigh, critical: round(nvmeHigh + 5, 2), idle: rng.between(30, 45), heat: rng.between(5, 12), canOverheat: true },
    ];
    // Many drives report extra sensors with a meaningless limit (65261.85 °C); kept, as the agent does.
    if (rng.chance(0.5)) nvme.push({ label: 'Sensor 1', high: 65261.85, critical: null, idle: rng.between(30, 45), heat: rng.between(5, 12), canOverheat: false });
    sensors.nvme = nvme;
  }
  if (rng.chance(0.3)) {
    sensors.acpitz = [{ label: 'temp1', high: null, critical: rng.pick([null, 105, 119] as const), idle: rng.between(25, 30), heat: rng.between(0, 10), canOverheat: false }];
  }
  return sensors;
}

function drawInterfaces(rng: Rng, sentRatio: readonly [number, number]): InterfaceProfile[] {
  const names = [rng.pick(PRIMARY_INTERFACES), ...rng.pickSome(EXTRA_INTERFACES, rng.int(0, 2))];
  return names.map((name, index) => ({
    name,
    // The first interface carries most traffic; an extra one may be down (no cable, no Wi-Fi).
    share: index === 0 ? 1 : rng.chance(0.3) ? 0 : rng.between(0.01, 0.5),
    sentRatio: rng.between(sentRatio[0], sentRatio[1]),
    packetBytes: rng.between(400, 1400),
  }));
}

export function drawMachineProfile(rng: Rng): MachineProfile {
  const role = rng.pick(ROLES);
  const system = rng.pick(OPERATING_SYSTEMS);
  const cores = rng.pick(LOGICAL_CORES);
  const rhel = /Rocky|Alma|Fedora/.test(system.os);
  const [mainProcess, ...otherProcesses] = role.processes;
  return {
    role: role.role,
    host: { os: system.os, kernel: rng.pick(system.kernels), arch: 'x64', cpu_model: rng.pick(CPU_MODELS), cpu_cores: cores },
    baseCpu: rng.between(role.cpu[0], role.cpu[1]),
    dailyWave: rng.between(0, 0.5),
    dailyPhase: rng.next(),
    baseMemory: rng.between(15, 65),
    baseSwap: rng.chance(0.7) ? rng.between(0, 15) : undefined,
    disks: drawDisks(rng, rhel),
    sensors: drawSensors(rng, cores),
    interfaces: drawInterfaces(rng, role.sentRatio),
    idleBytesPerSecond: rng.between(200, 5_000),
    fullBytesPerSecond: 10 ** rng.between(4, 7.5),
    ntpSynced: rng.chance(0.85),
    criticalProcesses: [mainProcess as string, ...rng.pickSome(otherProcesses, rng.int(0, 2))],
  };
}

/** A value wandering around 0 and pulled back towards it (Ornstein-Uhlenbeck, one step). */
const revert = (rng: Rng, value: number, pull: number, noise: number) => value * (1 - pull) + noise * rng.normal();

interface Episode {
  kind: FaultKind;
  ticksLeft: number;
  /** Which disk, sensor chip, interface or process it hits, and the faulty value. */
  index: number;
  value: number;
}

export function createSimulatedMachine(id: string, rng: Rng, options: MachineOptions): SimulatedMachine {
  const profile = drawMachineProfile(rng);
  const startChance = faultStartProbability(options.faultRate);
  const overheatChips = Object.entries(profile.sensors)
    .filter(([, sensors]) => sensors.some((s) => s.canOverheat))
    .map(([chip]) => chip);
  const inodeDisks = profile.disks.flatMap((d, i) => (d.hasInodes ? [i] : []));
  // Only the trouble this machine can have: no swap use without swap, no inodes on btrfs alone.
  const kinds = FAULT_KINDS.filter(
    (kind) =>
      (kind !== 'swap' || profile.baseSwap !== undefined) &&
      (kind !== 'inodes' || inodeDisks.length > 0) &&
      (kind !== 'overheat' || overheatChips.length > 0),
  );

  // What drifts: deviations from each base, fill levels, temperatures, the clock.
  let cpuDev = 0;
  let memoryDev = 0;
  let swapDev = 0;
  let drift = profile.ntpSynced ? rng.between(-0.05, 0.05) : rng.between(-2, 2);
  const diskPercent = profile.disks.map((d) => (d.fstype === 'vfat' ? rng.between(1, 8) : rng.between(10, 75)));
  const temperatures = Object.fromEntries(Object.entries(profile.sensors).map(([chip, sensors]) => [chip, sensors.map((s) => s.idle)]));
  const load = [0, 0, 0];
  let lastNow: number | undefined;
  let ticks = 0;
  let faultsStarted = 0;
  let episode: Episode | undefined;

  function startEpisode(length: number): Episode {
    const kind = rng.pick(kinds);
    faultsStarted += 1;
    const indexFor: Partial<Record<FaultKind, () => number>> = {
      disk_space: () => rng.int(0, profile.disks.length - 1),
      inodes: () => rng.pick(inodeDisks),
      overheat: () => rng.int(0, overheatChips.length - 1),
      network_errors: () => rng.int(0, profile.interfaces.length - 1),
      process_down: () => rng.int(0, profile.criticalProcesses.length - 1),
      custom_alert: () => rng.int(0, CUSTOM_MESSAGES.length - 1),
    };
    const valueFor: Record<FaultKind, () => number> = {
      cpu: () => rng.between(92, 100),
      memory: () => rng.between(91, 99.5),
      swap: () => rng.between(55, 98),
      disk_space: () => rng.between(91, 99.9),
      inodes: () => rng.between(91, 100),
      overheat: () => rng.between(2, 12),
      time_drift: () => (rng.chance(0.5) ? -1 : 1) * rng.between(61, 900),
      network_inactive: () => 0,
      network_errors: () => rng.int(101, 5_000),
      custom_alert: () => 1,
      zombies: () => rng.int(1, 25),
      process_down: () => 0,
    };
    return { kind, ticksLeft: length, index: indexFor[kind]?.() ?? 0, value: valueFor[kind]() };
  }

  function stepEpisode(): void {
    let recovering = false;
    if (episode?.ticksLeft === 0) {
      episode = undefined;
      // The sample after an episode is always healthy, so its alert recovers before another fires.
      recovering = true;
    }
    if (!episode && !recovering) {
      const length = rng.int(EPISODE_TICKS.min, EPISODE_TICKS.max);
      // The first sample finds the fleet in its steady state: some machines already mid-episode.
      if (ticks === 0 ? rng.chance(options.faultRate) : rng.chance(startChance)) {
        episode = startEpisode(ticks === 0 ? rng.int(1, length) : length);
      }
    }
    if (episode) episode.ticksLeft -= 1;
  }

  function next(now: number): MetricsPayload {
    const elapsed = lastNow === undefined || !(now > lastNow) ? options.intervalSeconds : Math.min(now - lastNow, 10 * options.intervalSeconds);
    lastNow = now;
    stepEpisode();
    const fault = episode?.kind;
    ticks += 1;

    // CPU: a per-machine base with a daily wave, a wandering factor and the odd spike, kept under 90.
    cpuDev = revert(rng, cpuDev, 0.15, 0.12);
    const spike = rng.chance(0.03) ? rng.between(5, 30) : 0;
    const wave = 1 + profile.dailyWave * Math.sin(2 * Math.PI * (now / 86_400 + profile.dailyPhase));
    let cpu = clamp(profile.baseCpu * wave * Math.exp(cpuDev) + spike, 0.5, 88);
    if (fault === 'cpu' && episode) cpu = episode.value;
    const coreSpread = Math.min(cpu, 100 - cpu) * 0.4 + 0.5;
    const perCore = Array.from({ length: profile.host.cpu_cores }, () => round(clamp(cpu + rng.normal() * coreSpread, 0, 100), 1));
    const runnable = (profile.host.cpu_cores * cpu) / 100 + Math.abs(rng.normal()) * 0.1;
    [60, 300, 900].forEach((window, i) => {
      const old = load[i] ?? 0;
      load[i] = ticks === 1 ? runnable : old + (runnable - old) * (1 - Math.exp(-elapsed / window));
    });

    memoryDev = revert(rng, memoryDev, 0.05, 1);
    let memory = clamp(profile.baseMemory + memoryDev, 3, 85);
    if (fault === 'memory' && episode) memory = episode.value;
    swapDev = revert(rng, swapDev, 0.05, 0.5);
    let swap = profile.baseSwap === undefined ? 0 : clamp(profile.baseSwap + swapDev, 0, 40);
    if (fault === 'swap' && episode) swap = episode.value;

    const disks: DiskMetrics[] = profile.disks.map((disk, i) => {
      let level = diskPercent[i] ?? 0;
      level += (disk.fillPerDay * elapsed) / 86_400 + rng.normal() * 0.002;
      // Someone (or logrotate) cleans up before the disk gets full.
      if (level > 85) level -= rng.between(10, 30);
      level = clamp(level, 0.5, 85);
      diskPercent[i] = level;
      let percent = level;
      if (fault === 'disk_space' && episode?.index === i) percent = episode.value;
      let inodes = disk.hasInodes ? clamp(level * disk.inodeRatio + 0.1, 0, 85) : 0;
      if (fault === 'inodes' && episode?.index === i) inodes = episode.value;
      const used = Math.round((disk.totalBytes * percent) / 100);
      return {
        mountpoint: disk.mountpoint,
        percent: round(percent, 1),
        inode_percent: round(inodes, 1),
        fstype: disk.fstype,
        device: disk.device,
        total_bytes: disk.totalBytes,
        used_bytes: used,
        free_bytes: disk.totalBytes - used,
      };
    });

    const hotChip = fault === 'overheat' && episode ? overheatChips[episode.index] : undefined;
    const sensors_temperature: Record<string, SensorReading[]> = {};
    for (const [chip, sensors] of Object.entries(profile.sensors)) {
      const current = temperatures[chip] ?? [];
      sensors_temperature[chip] = sensors.map((sensor, i) => {
        // Temperatures follow the load with some lag, and stay under their limit unless overheating.
        const target = sensor.idle + (sensor.heat * cpu) / 100 + rng.normal() * 0.7;
        let t = (current[i] ?? sensor.idle) + (target - (current[i] ?? sensor.idle)) * 0.5;
        if (sensor.high !== null) t = Math.min(t, sensor.high - 3);
        current[i] = t;
        if (chip === hotChip && sensor.canOverheat && sensor.high !== null && episode) t = sensor.high + episode.value + rng.between(0, 3);
        return { label: sensor.label, current: round(t, chip === 'coretemp' ? 0 : 1), high: sensor.high, critical: sensor.critical };
      });
    }

    // NTP keeps a clock within milliseconds; without it the clock wanders a few seconds.
    drift = profile.ntpSynced ? clamp(revert(rng, drift, 0.2, 0.005), -0.5, 0.5) : clamp(revert(rng, drift, 0.02, 0.05), -5, 5);
    const drift_seconds = fault === 'time_drift' && episode ? episode.value : drift;

    const bytesPerSecond = profile.idleBytesPerSecond + (profile.fullBytesPerSecond * cpu) / 100;
    const network: NetworkInterfaceMetrics[] = profile.interfaces.map((iface, i) => {
      const recv = iface.share === 0 ? 0 : Math.round(bytesPerSecond * elapsed * iface.share * Math.exp(rng.normal() * 0.2)) + 1;
      const sent = iface.share === 0 ? 0 : Math.round(recv * iface.sentRatio * Math.exp(rng.normal() * 0.1)) + 1;
      let errin = rng.chance(0.01) ? rng.int(1, 5) : 0;
      let errout = rng.chance(0.005) ? rng.int(1, 3) : 0;
      if (fault === 'network_errors' && episode?.index === i) {
        if (rng.chance(0.5)) errin = episode.value;
        else errout = episode.value;
      }
      const silent = fault === 'network_inactive';
      return {
        name: iface.name,
        bytes_recv: silent ? 0 : recv,
        bytes_sent: silent ? 0 : sent,
        errin: silent ? 0 : errin,
        errout: silent ? 0 : errout,
        packets_recv: silent ? 0 : Math.ceil(recv / iface.packetBytes),
        packets_sent: silent ? 0 : Math.ceil(sent / iface.packetBytes),
        dropin: silent || !rng.chance(0.02) ? 0 : rng.int(1, 20),
        dropout: 0,
      };
    });

    const critical_processes = Object.fromEntries(
      profile.criticalProcesses.map((name, i) => [name, !(fault === 'process_down' && episode?.index === i)]),
    );

    const payload: MetricsPayload = {
      agent_id: id,
      cpu: { total_percent: round(cpu, 1), per_core_percent: perCore, load_average: load.map((l) => round(l, 2)) },
      memory: { percent: round(memory, 1), swap_percent: round(swap, 1) },
      disks,
      sensors_temperature,
      time_drift: { drift_seconds: round(drift_seconds, 4) },
      network,
      custom_alert: fault === 'custom_alert',
      zombie_processes: fault === 'zombies' && episode ? episode.value : 0,
      critical_processes,
      host: profile.host,
      // Unique per machine and run (the time is in it), yet the same for the same seed and clock.
      sample_id: `${Math.round(now * 1000).toString(36)}-${ticks}`,
      interval_seconds: options.intervalSeconds,
    };
    if (fault === 'custom_alert' && episode) payload.custom_message = CUSTOM_MESSAGES[episode.index] ?? CUSTOM_MESSAGES[0];
    return payload;
  }

  return {
    id,
    profile,
    get fault() {
      return episode?.kind;
    },
    get faultsStarted() {
      return faultsStarted;
    },
    next,
  };
}

export interface FleetShape {
  agents: number;
  seed: number;
  faultRate: number;
  intervalSeconds: number;
  /** Machine names are `<prefix>-0001`, `<prefix>-0002`, ... */
  idPrefix: string;
}

/** `sim-0042`: zero-padded so the names sort in order. */
export function machineId(prefix: string, index: number, agents: number): string {
  return `${prefix}-${String(index + 1).padStart(Math.max(4, String(agents).length), '0')}`;
}

/** The whole fleet. Machine i draws from its own stream of the seed, so it has the same profile and
 * the same values whatever the size of the fleet and whatever order the machines are sampled in. */
export function createSimulatedFleet(shape: FleetShape): SimulatedMachine[] {
  return Array.from({ length: shape.agents }, (_, i) =>
    createSimulatedMachine(machineId(shape.idPrefix, i, shape.agents), createRng(mixSeed(shape.seed, i)), {
      faultRate: shape.faultRate,
      intervalSeconds: shape.intervalSeconds,
    }),
  );
}
