/**
 * One interface over cgroup v1 and v2. The launcher makes a job's cgroup(s) with its limits before
 * the job exists, hands `shimArgs` to the shim (which places the job's first process in them before
 * exec), and after the job ends reads its usage and removes them.
 */
import type { ResourceLimits, ResourceUsage } from '../../core/types.js';
import type { BlockDevice } from './block-device.js';
import type { CgroupFs } from './cgroupfs.js';

export interface CgroupBackend {
  readonly version: 1 | 2;
  /** The job root directory in each hierarchy (one on v2). */
  readonly rootDirs: readonly string[];
  /**
   * Creates the server's job root under its own cgroup (never at the root of a hierarchy, never
   * moving the server out of its own cgroup). Idempotent.
   */
  init(): Promise<void>;
  /**
   * Makes the cgroup(s) of one job with its limits written, before the job exists. On failure,
   * removes what it made and throws a CgroupSetupError naming the file and value, or a
   * SandboxUnavailableError (IO limits without a block device).
   */
  create(jobId: string, limits: ResourceLimits): Promise<JobCgroup>;
  /**
   * Crash recovery: kills the processes in, and removes, the job cgroups a crashed server left
   * under the root; returns their job IDs. Throws CgroupSweepError if some could not be removed.
   */
  sweep(): Promise<string[]>;
  /** Removes the job root if it is empty (server shutdown); leaves it otherwise. */
  close(): Promise<void>;
}

export interface JobCgroup {
  readonly jobId: string;
  /** Every directory of the job: one per v1 hierarchy (plus the unified one on hybrid), one on v2. */
  readonly dirs: readonly string[];
  /** Arguments for the shim: ['--cgroup', dir, ...] (v1, one per directory) or ['--cgroup2', dir] (v2). */
  readonly shimArgs: readonly string[];
  /**
   * True when waitEmpty waits for the kernel's event (v2; v1 on a hybrid host with the unified tree).
   * False on pure v1: the caller must wait for the shim to exit (the PID namespace's end) first.
   */
  readonly hasEmptyEvent: boolean;
  /**
   * Kills every process in the job's cgroup(s): cgroup.kill where present, else freeze, SIGKILL each
   * PID in cgroup.procs, thaw. A cgroup that is already gone is fine.
   */
  killAll(): Promise<void>;
  /**
   * Resolves when the cgroup has no process left: by event when `hasEmptyEvent` (fs.watch on
   * cgroup.events, armed before the one read that closes the race), else at once if cgroup.procs is
   * empty, and rejects with a CgroupSetupError if it is not. Rejects with the signal's reason on abort.
   */
  waitEmpty(signal?: AbortSignal): Promise<void>;
  /** CPU time, peak memory, OOM kill. Read it before remove(). */
  readUsage(): Promise<ResourceUsage>;
  /** Removes every directory of the job, retrying EBUSY briefly (runc's backoff); idempotent. */
  remove(): Promise<void>;
}

export interface CgroupBackendOptions {
  /** Name of the job root under the server's own cgroup; default "workernator". */
  readonly rootName?: string;
  /** The disk IO limits throttle (from blockDeviceOfPath(dataDir) or parseBlockDevice). */
  readonly ioDevice?: BlockDevice;
  /**
   * v2 only. Controllers can be enabled for children only in a cgroup without processes of its own;
   * when the server's own cgroup has processes, init fails with a clear error unless this is set, in
   * which case it moves the processes of that cgroup (this one, and e.g. the shell or npm that started
   * it) into the leaf `<own>/<rootName>-supervisor`, inside its own subtree.
   */
  readonly moveSelfToLeaf?: boolean;
  /**
   * v1 only: also place each job in the controller-less cgroup2 tree of a hybrid host (if mounted),
   * which gives cgroup.kill and the "populated 0" event. Default true. The shim must write the PID to
   * `cgroup.procs` (not `tasks`) in every --cgroup directory for this to work.
   */
  readonly useUnified?: boolean;
  /** The filesystem; tests inject a fake kernel. */
  readonly fs?: CgroupFs;
  /** The process moveSelfToLeaf moves; default process.pid. */
  readonly selfPid?: number;
}

export const DEFAULT_ROOT_NAME = 'workernator';
