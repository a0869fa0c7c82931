/**
 * Detects the cgroup hierarchy the server runs under: unified v2, or v1 (including hybrid hosts,
 * where a cgroup2 tree with no controllers is mounted next to the v1 ones, at
 * /sys/fs/cgroup/unified). The filesystem magic of /sys/fs/cgroup decides the version (as runc and
 * nsjail do), /proc/self/mountinfo says where each v1 controller is mounted, and /proc/self/cgroup
 * says where the server itself lives in each hierarchy. All paths are injectable for tests.
 */
import { statfs } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { SandboxUnavailableError } from '../errors.js';
import { errnoOf } from './cgroupfs.js';

export const CGROUP2_SUPER_MAGIC = 0x63677270;
export const CGROUP_SUPER_MAGIC = 0x27e0eb;
export const TMPFS_MAGIC = 0x01021994;

/** The v1 controllers the sandbox needs (cpuacct for CPU time, freezer to kill without cgroup.kill). */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio', 'freezer'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];
/** The v2 controllers the sandbox enables for its jobs. */
export const V2_CONTROLLERS = ['cpu', 'memory', 'io', 'pids'] as const;

/** Where the server lives in one hierarchy. */
export interface CgroupPlace {
  /** Where the hierarchy is mounted, e.g. /sys/fs/cgroup/memory. */
  readonly mountPoint: string;
  /** The server's cgroup as /proc/self/cgroup names it, e.g. /process_api/6d74. */
  readonly ownPath: string;
  /** The server's cgroup directory: mountPoint joined with ownPath (relative to the mount's root). */
  readonly ownDir: string;
}

export interface V1Hierarchy extends CgroupPlace {
  /** Every controller of the hierarchy (cpu and cpuacct are often comounted). */
  readonly controllers: readonly string[];
}

export interface CgroupV1Layout {
  readonly version: 1;
  readonly hierarchies: Readonly<Record<V1Controller, V1Hierarchy>>;
  /** The controller-less cgroup2 tree of a hybrid host, if mounted. */
  readonly unified?: CgroupPlace;
}

export interface CgroupV2Layout extends CgroupPlace {
  readonly version: 2;
  /** The controllers available to the server's cgroup (its cgroup.controllers). */
  readonly controllers: readonly string[];
}

export type CgroupLayout = CgroupV1Layout | CgroupV2Layout;

export interface DetectOptions {
  /** Directory holding `cgroup` and `mountinfo` of this process; default /proc/self. */
  readonly procSelfDir?: string;
  /** Where cgroups are mounted; default /sys/fs/cgroup. */
  readonly cgroupMount?: string;
  /** statfs(2); injectable because a fake tree in a temp dir has no cgroup magic. */
  readonly statfs?: (path: string) => Promise<{ readonly type: number | bigint }>;
}

export interface MountInfoEntry {
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly source: string;
  readonly superOptions: readonly string[];
}

/** Undoes mountinfo's octal escapes (\040 for a space). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo (proc(5)): ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - TYPE SOURCE SUPER. */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const sep = fields.indexOf('-');
    if (sep < 6 || fields.length < sep + 4) continue;
    entries.push({
      root: unescapeMountField(fields[3] ?? ''),
      mountPoint: unescapeMountField(fields[4] ?? ''),
      fsType: fields[sep + 1] ?? '',
      source: unescapeMountField(fields[sep + 2] ?? ''),
      superOptions: (fields[sep + 3] ?? '').split(','),
    });
  }
  return entries;
}

export interface ProcCgroupEntry {
  readonly hierarchyId: number;
  /** Empty for the v2 entry ("0::/path"); "name=systemd" style names are kept as is. */
  readonly controllers: readonly string[];
  readonly path: string;
}

/** Parses /proc/self/cgroup: "ID:CONTROLLERS:PATH" a line. */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    entries.push({
      hierarchyId: Number(m[1]),
      controllers: m[2] === '' ? [] : (m[2] ?? '').split(','),
      path: m[3] ?? '/',
    });
  }
  return entries;
}

/** The server's cgroup directory: the mount shows `root` of the hierarchy at `mountPoint`. */
function placeOf(mount: MountInfoEntry, ownPath: string, what: string): CgroupPlace {
  const rel = posix.relative(mount.root, ownPath);
  if (rel.startsWith('..')) {
    throw new SandboxUnavailableError(
      `the server's ${what} cgroup ${ownPath} is not visible under ${mount.mountPoint} (which shows ${mount.root} of the hierarchy)`,
      `cgroup-path:${what}`,
    );
  }
  return { mountPoint: mount.mountPoint, ownPath, ownDir: join(mount.mountPoint, rel) };
}

/** Prefers a mount under `cgroupMount`, then any. */
function pickMount(mounts: MountInfoEntry[], cgroupMount: string): MountInfoEntry | undefined {
  const under = mounts.filter(
    (m) => m.mountPoint === cgroupMount || m.mountPoint.startsWith(`${cgroupMount}/`),
  );
  return under[0] ?? mounts[0];
}

async function readProcFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new SandboxUnavailableError(`cannot read ${path}: ${errnoOf(err) ?? String(err)}`, 'procfs', {
      cause: err,
    });
  }
}

/**
 * Returns the layout, or throws SandboxUnavailableError naming what is missing (no cgroup
 * filesystem, a controller, the server's own cgroup).
 */
export async function detectCgroups(options: DetectOptions = {}): Promise<CgroupLayout> {
  const procSelf = options.procSelfDir ?? '/proc/self';
  const cgroupMount = options.cgroupMount ?? '/sys/fs/cgroup';
  const statfsOf = options.statfs ?? statfs;

  let magic: number;
  try {
    magic = Number((await statfsOf(cgroupMount)).type);
  } catch (err) {
    throw new SandboxUnavailableError(
      `no cgroup filesystem: cannot stat ${cgroupMount}: ${errnoOf(err) ?? String(err)}`,
      'cgroupfs',
      { cause: err },
    );
  }
  const mounts = parseMountInfo(await readProcFile(join(procSelf, 'mountinfo')));
  const own = parseProcCgroup(await readProcFile(join(procSelf, 'cgroup')));
  const v2Path = own.find((e) => e.hierarchyId === 0 && e.controllers.length === 0)?.path;

  if (magic === CGROUP2_SUPER_MAGIC) {
    if (v2Path === undefined) {
      throw new SandboxUnavailableError(
        `${procSelf}/cgroup has no cgroup v2 entry ("0::/...")`,
        'cgroup-path:v2',
      );
    }
    const mount = mounts.find((m) => m.fsType === 'cgroup2' && m.mountPoint === cgroupMount) ?? {
      root: '/',
      mountPoint: cgroupMount,
      fsType: 'cgroup2',
      source: 'cgroup2',
      superOptions: [],
    };
    const place = placeOf(mount, v2Path, 'v2');
    const controllers = (await readProcFile(join(place.ownDir, 'cgroup.controllers'))).trim().split(/\s+/);
    const missing = V2_CONTROLLERS.filter((c) => !controllers.includes(c));
    if (missing.length > 0) {
      throw new SandboxUnavailableError(
        `cgroup v2 controller(s) ${missing.join(', ')} not available to the server's cgroup ` +
          `${place.ownDir} (its cgroup.controllers: ${controllers.join(' ') || 'none'}); ` +
          `enable them in the parent's cgroup.subtree_control (systemd: Delegate=yes)`,
        `controller:${missing.join(',')}`,
      );
    }
    return { version: 2, ...place, controllers };
  }

  if (magic !== TMPFS_MAGIC && magic !== CGROUP_SUPER_MAGIC) {
    throw new SandboxUnavailableError(
      `no cgroup filesystem at ${cgroupMount} (filesystem type 0x${magic.toString(16)})`,
      'cgroupfs',
    );
  }
  const v1Mounts = mounts.filter((m) => m.fsType === 'cgroup');
  if (v1Mounts.length === 0) {
    throw new SandboxUnavailableError(
      `no cgroup v1 hierarchy is mounted (${cgroupMount} is a tmpfs)`,
      'cgroupfs',
    );
  }
  const hierarchies: Partial<Record<V1Controller, V1Hierarchy>> = {};
  const missing: string[] = [];
  for (const controller of V1_CONTROLLERS) {
    const mount = pickMount(
      v1Mounts.filter((m) => m.superOptions.includes(controller)),
      cgroupMount,
    );
    const entry = own.find((e) => e.controllers.includes(controller));
    if (mount === undefined || entry === undefined) {
      missing.push(controller);
      continue;
    }
    const controllers = mount.superOptions.filter((o) => entry.controllers.includes(o));
    hierarchies[controller] = { ...placeOf(mount, entry.path, controller), controllers };
  }
  if (missing.length > 0) {
    throw new SandboxUnavailableError(
      `cgroup v1 controller(s) not mounted: ${missing.join(', ')} (needed: ${V1_CONTROLLERS.join(', ')})`,
      `controller:${missing.join(',')}`,
    );
  }
  const unifiedMount = pickMount(
    mounts.filter((m) => m.fsType === 'cgroup2'),
    cgroupMount,
  );
  const unified =
    unifiedMount !== undefined && v2Path !== undefined ? placeOf(unifiedMount, v2Path, 'unified') : undefined;
  return {
    version: 1,
    hierarchies: hierarchies as Record<V1Controller, V1Hierarchy>,
    ...(unified ? { unified } : {}),
  };
}
