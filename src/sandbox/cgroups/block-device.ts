/**
 * The block device that IO limits throttle. Both cgroup versions throttle whole disks only (a
 * partition is refused with EINVAL), by MAJ:MIN, so a path (the data directory) is resolved to the
 * disk that holds it: stat(path).dev -> /sys/dev/block/MAJ:MIN -> its parent disk if it is a
 * partition. Filesystems without a block device (tmpfs, overlay, nfs) cannot be throttled.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SandboxUnavailableError } from '../errors.js';
import { errnoOf } from './cgroupfs.js';
import { parseMountInfo } from './detect.js';

export interface BlockDevice {
  readonly major: number;
  readonly minor: number;
  /** The kernel's name for it (vda, sda, nvme0n1), when known. */
  readonly name?: string;
}

export interface BlockDeviceOptions {
  /** Default /sys (uses /sys/dev/block). */
  readonly sysDir?: string;
  /** Default /proc/self/mountinfo (names the filesystem in errors; finds btrfs's real device). */
  readonly mountInfoFile?: string;
}

/** Splits a Linux dev_t (as stat returns it) into major and minor, as glibc's gnu_dev_major/minor. */
export function splitDev(dev: bigint): { major: number; minor: number } {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** Turns MAJ:MIN into the whole disk's device (the parent for a partition), via sysfs. */
export async function wholeDisk(
  major: number,
  minor: number,
  options: BlockDeviceOptions = {},
): Promise<BlockDevice | undefined> {
  const sysDir = options.sysDir ?? '/sys';
  let devDir: string;
  try {
    devDir = await realpath(join(sysDir, 'dev', 'block', `${major}:${minor}`));
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
  const isPartition = await stat(join(devDir, 'partition')).then(
    () => true,
    () => false,
  );
  const diskDir = isPartition ? dirname(devDir) : devDir;
  const [maj, min] = (await readFile(join(diskDir, 'dev'), 'utf8')).trim().split(':').map(Number);
  if (maj === undefined || min === undefined || !Number.isInteger(maj) || !Number.isInteger(min)) {
    throw new SandboxUnavailableError(`unreadable ${join(diskDir, 'dev')}`, 'block-device');
  }
  return { major: maj, minor: min, name: diskDir.split('/').pop() ?? '' };
}

/**
 * The disk that holds `path`. Throws SandboxUnavailableError when the filesystem has no block
 * device: "io limits need the data directory on a block device; /x is on tmpfs".
 */
export async function blockDeviceOfPath(
  path: string,
  options: BlockDeviceOptions = {},
): Promise<BlockDevice> {
  const { major, minor } = splitDev((await stat(path, { bigint: true })).dev);
  // mountinfo's third field is the st_dev of the mount; it names the filesystem and its source.
  const mount = await findMountOfDev(options.mountInfoFile, major, minor);
  if (major !== 0) {
    const disk = await wholeDisk(major, minor, options);
    if (disk) return disk;
  } else if (mount?.source.startsWith('/dev/')) {
    // btrfs (and a few others) report an anonymous st_dev; the mount's source is the real device.
    const source = await stat(mount.source, { bigint: true }).catch(() => undefined);
    if (source?.isBlockDevice()) {
      const dev = splitDev(source.rdev);
      const disk = await wholeDisk(dev.major, dev.minor, options);
      if (disk) return disk;
    }
  }
  const fsType = mount?.fsType ?? `a filesystem without a block device (device ${major}:${minor})`;
  throw new SandboxUnavailableError(
    `io limits need the data directory on a block device; ${path} is on ${fsType}`,
    'block-device',
  );
}

async function findMountOfDev(
  mountInfoFile: string | undefined,
  major: number,
  minor: number,
): Promise<{ fsType: string; source: string } | undefined> {
  const text = await readFile(mountInfoFile ?? '/proc/self/mountinfo', 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (fields[2] !== `${major}:${minor}`) continue;
    const entry = parseMountInfo(line)[0];
    if (entry) return { fsType: entry.fsType, source: entry.source };
  }
  return undefined;
}

/**
 * An explicitly configured device: "MAJ:MIN" or a device node such as /dev/vda. A partition is
 * turned into its disk.
 */
export async function parseBlockDevice(spec: string, options: BlockDeviceOptions = {}): Promise<BlockDevice> {
  let major: number;
  let minor: number;
  const m = /^(\d+):(\d+)$/.exec(spec.trim());
  if (m) {
    major = Number(m[1]);
    minor = Number(m[2]);
  } else if (spec.startsWith('/')) {
    const st = await stat(spec, { bigint: true }).catch((err: unknown) => {
      throw new SandboxUnavailableError(`io device ${spec}: ${errnoOf(err) ?? String(err)}`, 'block-device', {
        cause: err,
      });
    });
    if (!st.isBlockDevice()) {
      throw new SandboxUnavailableError(`io device ${spec} is not a block device`, 'block-device');
    }
    ({ major, minor } = splitDev(st.rdev));
  } else {
    throw new SandboxUnavailableError(
      `io device ${JSON.stringify(spec)}: expected MAJ:MIN (such as 254:0) or a device path (such as /dev/vda)`,
      'block-device',
    );
  }
  const disk = await wholeDisk(major, minor, options);
  if (!disk) {
    throw new SandboxUnavailableError(`io device ${spec}: no block device ${major}:${minor}`, 'block-device');
  }
  return disk;
}
