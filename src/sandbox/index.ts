/**
 * The sandbox: the Launcher that runs every job inside its own cgroups and namespaces through the C
 * shim. `openSandbox` checks that everything it needs is there and refuses, naming what is missing,
 * rather than running jobs with less isolation than promised.
 */
import { access, constants, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Launcher } from '../core/launcher.js';
import type { CgroupBackend } from './cgroups/backend.js';
import { blockDeviceOfPath, parseBlockDevice, type BlockDevice } from './cgroups/block-device.js';
import { openCgroupBackend } from './cgroups/open.js';
import { SandboxUnavailableError } from './errors.js';
import { defaultSpawnerPath, SandboxLauncher } from './sandbox-launcher.js';

export interface SandboxOptions {
  /** The server's data directory: IO limits apply to the disk that holds it. */
  readonly dataDir: string;
  /** Devices to throttle instead ("MAJ:MIN" or a device node such as /dev/vda). */
  readonly ioDevice?: string;
  /** The unprivileged user and group jobs run as (names or numeric IDs); nobody/nogroup by default. */
  readonly jobUser?: string;
  readonly jobGroup?: string;
  /**
   * Directories (or files) no job may see, whatever its role: the server's secrets (its TLS
   * directory, its data directory with the store and every job's log). Each is hidden in every
   * job's mount namespace under an empty read-only mount; relative paths are resolved here.
   */
  readonly maskedPaths?: readonly string[];
  /** Name of the directory under the server's own cgroup that holds the job cgroups. */
  readonly cgroupRootName?: string;
  /** cgroup v2: move the server into a leaf of its own cgroup when that cgroup has processes. */
  readonly moveSelfToLeaf?: boolean;
  /** The shim binary; by default the one `npm run build` makes. */
  readonly shimPath?: string;
  /** The shim spawner binary (a forkserver that execs the shim); by default the one next to the shim. */
  readonly spawnerPath?: string;
  readonly logger?: { warn(details: object, message: string): void };
}

/** A launcher that also releases what it holds (the job cgroup root) when the server stops. */
export interface Sandbox extends Launcher {
  readonly cgroupVersion: 1 | 2;
  /** The directories that hold the job cgroups (one per v1 hierarchy, one on v2). */
  readonly cgroupRootDirs: readonly string[];
  /** The disk IO limits apply to, when there is one. */
  readonly ioDevice?: BlockDevice;
  close(): Promise<void>;
}

/** Where `npm run build` puts the shim: native/build/ at the package root (two levels above this file). */
export function defaultShimPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'workernator-shim');
}

/** Opens the sandbox, or throws SandboxUnavailableError naming what is missing. */
export async function openSandbox(options: SandboxOptions): Promise<Sandbox> {
  if (process.getuid?.() !== 0) {
    throw new SandboxUnavailableError(
      'the sandbox needs root: it creates cgroups and namespaces and switches each job to an unprivileged user',
      'root',
    );
  }
  const shimPath = options.shimPath ?? defaultShimPath();
  try {
    await access(shimPath, constants.X_OK);
  } catch {
    throw new SandboxUnavailableError(
      `the sandbox shim is missing: ${shimPath} (build it with \`npm run build\`)`,
      'shim',
    );
  }
  const spawnerPath = options.spawnerPath ?? defaultSpawnerPath(shimPath);
  try {
    await access(spawnerPath, constants.X_OK);
  } catch {
    throw new SandboxUnavailableError(
      `the sandbox shim spawner is missing: ${spawnerPath} (build it with \`npm run build\`)`,
      'spawner',
    );
  }
  // The data directory may not exist yet on a fresh install; the disk that will hold it is needed now.
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const ioDevice = await findIoDevice(options);
  const cgroups: CgroupBackend = await openCgroupBackend({
    rootName: options.cgroupRootName,
    ioDevice,
    moveSelfToLeaf: options.moveSelfToLeaf,
  });
  const launcher = new SandboxLauncher({
    shimPath,
    spawnerPath,
    cgroups,
    jobUser: options.jobUser ?? 'nobody',
    jobGroup: options.jobGroup ?? 'nogroup',
    maskedPaths: (options.maskedPaths ?? []).map((path) => resolve(path)),
    logger: options.logger,
  });
  // Only now: on cgroup v2 the backend may have moved the server into a leaf cgroup, and the
  // spawner (with every shim it starts) must be born there, not left in the cgroup it moved out of.
  try {
    await launcher.start();
  } catch (error) {
    await cgroups.close();
    throw new SandboxUnavailableError(
      `the sandbox shim spawner cannot run: ${(error as Error).message}`,
      'spawner',
      { cause: error },
    );
  }
  return {
    cgroupVersion: cgroups.version,
    cgroupRootDirs: cgroups.rootDirs,
    ioDevice,
    launch: (request) => launcher.launch(request),
    recover: () => launcher.recover(),
    close: async () => {
      await launcher.close();
      await cgroups.close();
    },
  };
}

/**
 * The disk to throttle. Without one (a data directory on tmpfs or overlay), jobs still run; only a
 * job that asks for IO limits is refused, with the reason.
 */
async function findIoDevice(options: SandboxOptions): Promise<BlockDevice | undefined> {
  if (options.ioDevice !== undefined) return parseBlockDevice(options.ioDevice);
  try {
    return await blockDeviceOfPath(options.dataDir);
  } catch (error) {
    if (error instanceof SandboxUnavailableError) {
      options.logger?.warn({ reason: error.message }, 'io limits are unavailable');
      return undefined;
    }
    throw error;
  }
}
