/**
 * cgroup v1 backend (v1 and hybrid hosts). One directory per hierarchy the sandbox uses:
 *
 *   <mount>/<own path>/<root>/<jobId>/    for cpu, cpuacct (often comounted with cpu), memory,
 *                                         pids, blkio, freezer; <own path> is where the server
 *                                         itself is in that hierarchy (/proc/self/cgroup)
 *   <unified>/<own path>/<root>/<jobId>/  hybrid hosts only: the controller-less cgroup2 tree, for
 *                                         cgroup.kill and the "populated 0" event
 *
 * v1 has no rule against processes in inner cgroups, so nothing is enabled and nothing moves.
 * cpuset is not used: its children would need cpuset.cpus/mems copied from the parent.
 */
import { join } from 'node:path';
import type { ResourceLimits, ResourceUsage } from '../../core/types.js';
import { CgroupSetupError, CgroupSweepError } from '../errors.js';
import {
  type CgroupBackend,
  type CgroupBackendOptions,
  DEFAULT_ROOT_NAME,
  type JobCgroup,
} from './backend.js';
import type { BlockDevice } from './block-device.js';
import {
  type CgroupFs,
  checkCgroupName,
  closeRoot,
  createCgroupDir,
  ensureCgroupDir,
  errnoOf,
  nodeCgroupFs,
  readPids,
  removeCgroupDir,
} from './cgroupfs.js';
import { type CgroupV1Layout, V1_CONTROLLERS, type V1Controller } from './detect.js';
import { abortReason, waitForCgroupEvent } from './events.js';
import { killByCgroupKill, killByV1Freezer, unlessGone } from './kill.js';
import { applyLimitWrites, cgroupV1LimitWrites } from './limits.js';
import { readV1Usage } from './usage.js';

/** A job's directory in each controller's hierarchy, and in the unified tree if used. */
interface V1JobDirs {
  readonly byController: Readonly<Record<V1Controller, string>>;
  readonly unified: string | undefined;
}

export class CgroupV1Backend implements CgroupBackend {
  readonly version = 1;
  readonly #fs: CgroupFs;
  readonly #ioDevice: BlockDevice | undefined;
  /** The job root in each controller's hierarchy (comounted controllers share one). */
  readonly #roots: Readonly<Record<V1Controller, string>>;
  readonly #unifiedRoot: string | undefined;

  constructor(layout: CgroupV1Layout, options: CgroupBackendOptions = {}) {
    this.#fs = options.fs ?? nodeCgroupFs;
    this.#ioDevice = options.ioDevice;
    const rootName = options.rootName ?? DEFAULT_ROOT_NAME;
    checkCgroupName(rootName);
    const roots: Partial<Record<V1Controller, string>> = {};
    for (const c of V1_CONTROLLERS) roots[c] = join(layout.hierarchies[c].ownDir, rootName);
    this.#roots = roots as Record<V1Controller, string>;
    this.#unifiedRoot =
      (options.useUnified ?? true) && layout.unified ? join(layout.unified.ownDir, rootName) : undefined;
  }

  /** Each distinct job root, the unified one last. */
  get rootDirs(): readonly string[] {
    const dirs = [...new Set(Object.values(this.#roots))];
    return this.#unifiedRoot === undefined ? dirs : [...dirs, this.#unifiedRoot];
  }

  /** Whether jobs are also tracked in the hybrid host's unified tree. */
  get usesUnified(): boolean {
    return this.#unifiedRoot !== undefined;
  }

  async init(): Promise<void> {
    for (const dir of this.rootDirs) await ensureCgroupDir(this.#fs, dir);
  }

  #dirsOf(jobId: string): V1JobDirs {
    const byController: Partial<Record<V1Controller, string>> = {};
    for (const c of V1_CONTROLLERS) byController[c] = join(this.#roots[c], jobId);
    return {
      byController: byController as Record<V1Controller, string>,
      unified: this.#unifiedRoot === undefined ? undefined : join(this.#unifiedRoot, jobId),
    };
  }

  async create(jobId: string, limits: ResourceLimits): Promise<JobCgroup> {
    checkCgroupName(jobId);
    const writes = cgroupV1LimitWrites(limits, this.#ioDevice);
    const dirs = this.#dirsOf(jobId);
    const job = new V1JobCgroup(this.#fs, jobId, dirs);
    // One directory per hierarchy, made at once: each mkdir is a thread-pool round trip.
    const mkdirs = await Promise.allSettled(job.dirs.map((dir) => createCgroupDir(this.#fs, dir)));
    const made = job.dirs.filter((_, i) => mkdirs[i]?.status === 'fulfilled');
    try {
      const failed = mkdirs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      await applyLimitWrites(this.#fs, writes, (w) => dirs.byController[w.controller]);
    } catch (err) {
      // Best effort: the first error is the one to report.
      await Promise.all(made.map((dir) => removeCgroupDir(this.#fs, dir).catch(() => undefined)));
      throw err;
    }
    return job;
  }

  async sweep(): Promise<string[]> {
    const names = new Set<string>();
    for (const root of this.rootDirs) {
      const found = await this.#fs.subdirs(root).catch((err: unknown) => {
        if (errnoOf(err) === 'ENOENT') return [];
        throw err;
      });
      for (const name of found) names.add(name);
    }
    const removed: string[] = [];
    const failed: { jobId: string; error: Error }[] = [];
    for (const name of [...names].sort()) {
      const job = new V1JobCgroup(this.#fs, name, this.#dirsOf(name));
      try {
        await job.killAll();
        // Without an event, remove()'s EBUSY retries give the killed processes about a second to go.
        if (job.hasEmptyEvent) await job.waitEmpty();
        await job.remove();
        removed.push(name);
      } catch (err) {
        failed.push({ jobId: name, error: err instanceof Error ? err : new Error(String(err)) });
      }
    }
    if (failed.length > 0) throw new CgroupSweepError(removed, failed);
    return removed;
  }

  async close(): Promise<void> {
    for (const dir of this.rootDirs) await closeRoot(this.#fs, dir);
  }
}

class V1JobCgroup implements JobCgroup {
  readonly dirs: readonly string[];
  readonly shimArgs: readonly string[];
  readonly hasEmptyEvent: boolean;
  readonly #fs: CgroupFs;
  readonly #byController: Readonly<Record<V1Controller, string>>;
  readonly #unified: string | undefined;

  constructor(
    fs: CgroupFs,
    readonly jobId: string,
    dirs: V1JobDirs,
  ) {
    this.#fs = fs;
    this.#byController = dirs.byController;
    this.#unified = dirs.unified;
    const unique = [...new Set(Object.values(dirs.byController))];
    this.dirs = dirs.unified === undefined ? unique : [...unique, dirs.unified];
    this.shimArgs = this.dirs.flatMap((dir) => ['--cgroup', dir]);
    this.hasEmptyEvent = dirs.unified !== undefined;
  }

  async killAll(): Promise<void> {
    if (this.#unified !== undefined && (await this.#fs.exists(join(this.#unified, 'cgroup.kill')))) {
      await unlessGone(killByCgroupKill(this.#fs, this.#unified));
      return;
    }
    const existing: string[] = [];
    for (const dir of this.dirs) if (await this.#fs.exists(dir)) existing.push(dir);
    const [anyDir] = existing;
    if (anyDir === undefined) return;
    const freezer = this.#byController.freezer;
    await unlessGone(killByV1Freezer(this.#fs, existing.includes(freezer) ? freezer : undefined, anyDir));
  }

  async waitEmpty(signal?: AbortSignal): Promise<void> {
    if (this.#unified !== undefined) {
      return waitForCgroupEvent(join(this.#unified, 'cgroup.events'), 'populated', '0', signal);
    }
    if (signal?.aborted) throw abortReason(signal);
    const dir = this.#byController.freezer;
    const pids = await readPids(this.#fs, dir);
    if (pids.length > 0) {
      throw new CgroupSetupError(
        `cgroup ${dir} still has processes (${pids.join(' ')}); cgroup v1 has no event for ` +
          `emptiness: wait for the job's shim to exit (the end of its PID namespace) first`,
        'wait',
        dir,
      );
    }
  }

  readUsage(): Promise<ResourceUsage> {
    return readV1Usage(this.#fs, this.#byController.cpuacct, this.#byController.memory);
  }

  async remove(): Promise<void> {
    // Every directory is tried even if one fails; the first failure is reported.
    let first: Error | undefined;
    for (const dir of this.dirs) {
      try {
        await removeCgroupDir(this.#fs, dir);
      } catch (err) {
        first ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    if (first !== undefined) throw first;
  }
}
