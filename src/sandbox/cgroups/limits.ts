/**
 * The pure mapping of a job's ResourceLimits to cgroup file writes, for each cgroup version, in the
 * order they must be written to a NEW cgroup, and the one function that performs them.
 *
 * | limit         | v1                                                    | v2                          |
 * |---------------|-------------------------------------------------------|-----------------------------|
 * | cpuMillicores | cpu.cfs_period_us 100000, cpu.cfs_quota_us m*100      | cpu.max "m*100 100000"      |
 * | memoryBytes   | memory.limit_in_bytes, memory.memsw.limit_in_bytes, swappiness 0 | memory.max, memory.swap.max 0 |
 * | io*           | blkio.throttle.{read,write}_{bps,iops}_device "M:m N" | io.max "M:m rbps= wbps= riops= wiops=" |
 * | pids          | pids.max                                              | pids.max                    |
 */
import type { ResourceLimits } from '../../core/types.js';
import { SandboxUnavailableError } from '../errors.js';
import type { BlockDevice } from './block-device.js';
import { type CgroupFs, writeCgroupFile } from './cgroupfs.js';
import type { V1Controller } from './detect.js';

/** CFS period used for CPU quotas: 100 ms, the kernel's default. */
export const CPU_PERIOD_US = 100_000;

export interface LimitWrite {
  readonly file: string;
  readonly value: string;
  /** Skip the write when the file does not exist (memory.swap.max without swap accounting, memsw). */
  readonly ifExists?: boolean;
  /** Ignore a failed write (a tuning knob, not a limit: memory.swappiness). */
  readonly bestEffort?: boolean;
}

export interface V1LimitWrite extends LimitWrite {
  /** The controller whose hierarchy holds the file. */
  readonly controller: V1Controller;
}

export function hasIoLimits(limits: ResourceLimits): boolean {
  return (
    limits.ioReadBytesPerSecond !== undefined ||
    limits.ioWriteBytesPerSecond !== undefined ||
    limits.ioReadIops !== undefined ||
    limits.ioWriteIops !== undefined
  );
}

function requireDevice(limits: ResourceLimits, device: BlockDevice | undefined): BlockDevice | undefined {
  if (!hasIoLimits(limits)) return undefined;
  if (device === undefined) {
    throw new SandboxUnavailableError(
      'io limits need a block device to throttle, and none is configured (the data directory is not on a block device?)',
      'block-device',
    );
  }
  return device;
}

/** v1 writes. Memory: limit_in_bytes before memsw (the kernel requires memsw >= limit at all times). */
export function cgroupV1LimitWrites(limits: ResourceLimits, device?: BlockDevice): V1LimitWrite[] {
  const writes: V1LimitWrite[] = [];
  if (limits.cpuMillicores !== undefined) {
    writes.push({ controller: 'cpu', file: 'cpu.cfs_period_us', value: String(CPU_PERIOD_US) });
    writes.push({
      controller: 'cpu',
      file: 'cpu.cfs_quota_us',
      value: String(cpuQuotaMicros(limits.cpuMillicores)),
    });
  }
  if (limits.memoryBytes !== undefined) {
    const bytes = String(limits.memoryBytes);
    writes.push({ controller: 'memory', file: 'memory.limit_in_bytes', value: bytes });
    // memory + swap = memory: no swap. The file exists only with swap accounting (CONFIG_MEMCG_SWAP).
    writes.push({ controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: bytes, ifExists: true });
    writes.push({
      controller: 'memory',
      file: 'memory.swappiness',
      value: '0',
      ifExists: true,
      bestEffort: true,
    });
  }
  if (limits.pids !== undefined)
    writes.push({ controller: 'pids', file: 'pids.max', value: String(limits.pids) });
  const dev = requireDevice(limits, device);
  if (dev !== undefined) {
    const throttles: [keyof ResourceLimits, string][] = [
      ['ioReadBytesPerSecond', 'blkio.throttle.read_bps_device'],
      ['ioWriteBytesPerSecond', 'blkio.throttle.write_bps_device'],
      ['ioReadIops', 'blkio.throttle.read_iops_device'],
      ['ioWriteIops', 'blkio.throttle.write_iops_device'],
    ];
    for (const [key, file] of throttles) {
      const n = limits[key];
      if (n !== undefined)
        writes.push({ controller: 'blkio', file, value: `${dev.major}:${dev.minor} ${n}` });
    }
  }
  return writes;
}

/** v2 writes, each to the job's one directory. */
export function cgroupV2LimitWrites(limits: ResourceLimits, device?: BlockDevice): LimitWrite[] {
  const writes: LimitWrite[] = [];
  if (limits.cpuMillicores !== undefined) {
    writes.push({ file: 'cpu.max', value: `${cpuQuotaMicros(limits.cpuMillicores)} ${CPU_PERIOD_US}` });
  }
  if (limits.memoryBytes !== undefined) {
    writes.push({ file: 'memory.max', value: String(limits.memoryBytes) });
    writes.push({ file: 'memory.swap.max', value: '0', ifExists: true });
  }
  const dev = requireDevice(limits, device);
  if (dev !== undefined) {
    const parts = [
      ['rbps', limits.ioReadBytesPerSecond],
      ['wbps', limits.ioWriteBytesPerSecond],
      ['riops', limits.ioReadIops],
      ['wiops', limits.ioWriteIops],
    ]
      .filter(([, n]) => n !== undefined)
      .map(([k, n]) => `${k}=${n}`);
    writes.push({ file: 'io.max', value: `${dev.major}:${dev.minor} ${parts.join(' ')}` });
  }
  if (limits.pids !== undefined) writes.push({ file: 'pids.max', value: String(limits.pids) });
  return writes;
}

export function cpuQuotaMicros(millicores: number): number {
  return Math.round((millicores * CPU_PERIOD_US) / 1000);
}

/**
 * Performs the writes: in order within each directory (memsw after the memory limit), directories at
 * once, since each cgroupfs write is a thread-pool round trip and a v1 job has a directory per
 * hierarchy. `dirOf` says where each goes. Errors name the file and the value; when several fail, the
 * first in the given order is thrown.
 */
export async function applyLimitWrites<W extends LimitWrite>(
  fs: CgroupFs,
  writes: readonly W[],
  dirOf: (write: W) => string,
): Promise<void> {
  const byDir = new Map<string, W[]>();
  for (const write of writes) {
    const dir = dirOf(write);
    byDir.set(dir, [...(byDir.get(dir) ?? []), write]);
  }
  const results = await Promise.allSettled([...byDir].map(([dir, inDir]) => writeInOrder(fs, dir, inDir)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

async function writeInOrder(fs: CgroupFs, dir: string, writes: readonly LimitWrite[]): Promise<void> {
  for (const write of writes) {
    if (write.ifExists && !(await fs.exists(`${dir}/${write.file}`))) continue;
    try {
      await writeCgroupFile(fs, dir, write.file, write.value);
    } catch (err) {
      if (!write.bestEffort) throw err;
    }
  }
}
