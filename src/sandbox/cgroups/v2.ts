/**
 * cgroup v2 backend. Layout:
 *
 *   <own>/                       the server's own cgroup: +cpu +memory +io +pids in subtree_control
 *   <own>/<root>-supervisor/     only with moveSelfToLeaf, when <own> has processes: they move here
 *   <own>/<root>/                the job root: +cpu +memory +io +pids in subtree_control
 *   <own>/<root>/<jobId>/        one job: cpu.max, memory.max, memory.swap.max, io.max, pids.max
 *
 * The no-internal-processes rule: a non-root cgroup can enable controllers for its children only
 * while it has no processes itself; writing its cgroup.subtree_control otherwise fails with EBUSY.
 */
import { basename, dirname, join } from 'node:path';
import type { ResourceLimits, ResourceUsage } from '../../core/types.js';
import { CgroupSetupError, CgroupSweepError, SandboxUnavailableError } from '../errors.js';
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
  writeCgroupFile,
} from './cgroupfs.js';
import { type CgroupV2Layout, V2_CONTROLLERS } from './detect.js';
import { waitForCgroupEvent } from './events.js';
import { killByCgroupKill, killByV2Freezer, unlessGone } from './kill.js';
import { applyLimitWrites, cgroupV2LimitWrites } from './limits.js';
import { readV2Usage } from './usage.js';

/** How many times init moves the own cgroup's processes into the leaf before it gives up. */
const MOVE_ROUNDS = 3;

export class CgroupV2Backend implements CgroupBackend {
  readonly version = 2;
  readonly rootDir: string;
  readonly #layout: CgroupV2Layout;
  readonly #fs: CgroupFs;
  readonly #rootName: string;
  readonly #ioDevice: BlockDevice | undefined;
  readonly #moveSelfToLeaf: boolean;
  readonly #selfPid: number;

  constructor(layout: CgroupV2Layout, options: CgroupBackendOptions = {}) {
    this.#fs = options.fs ?? nodeCgroupFs;
    this.#rootName = options.rootName ?? DEFAULT_ROOT_NAME;
    checkCgroupName(this.#rootName);
    // A process that an earlier open moved into the supervisor leaf still owns the cgroup above it.
    this.#layout =
      basename(layout.ownDir) === `${this.#rootName}-supervisor`
        ? { ...layout, ownDir: dirname(layout.ownDir) }
        : layout;
    this.#ioDevice = options.ioDevice;
    this.#moveSelfToLeaf = options.moveSelfToLeaf ?? false;
    this.#selfPid = options.selfPid ?? process.pid;
    this.rootDir = join(this.#layout.ownDir, this.#rootName);
  }

  get rootDirs(): readonly string[] {
    return [this.rootDir];
  }

  /** The leaf moveSelfToLeaf moves the server into. */
  get supervisorDir(): string {
    return join(this.#layout.ownDir, `${this.#rootName}-supervisor`);
  }

  async init(): Promise<void> {
    await this.#enableControllers(this.#layout.ownDir, true);
    await ensureCgroupDir(this.#fs, this.rootDir);
    await this.#enableControllers(this.rootDir, false);
  }

  async #enableControllers(dir: string, isOwn: boolean): Promise<void> {
    const file = join(dir, 'cgroup.subtree_control');
    const enabled = new Set(
      (await this.#fs.readFile(file))
        .split(/\s+/)
        .filter((c) => c !== '')
        .map((c) => c.replace(/^\+/, '')),
    );
    const missing = V2_CONTROLLERS.filter((c) => !enabled.has(c));
    if (missing.length === 0) return;
    const value = missing.map((c) => `+${c}`).join(' ');
    try {
      await writeCgroupFile(this.#fs, dir, 'cgroup.subtree_control', value);
      return;
    } catch (err) {
      if (!isOwn || !(err instanceof CgroupSetupError) || err.errno !== 'EBUSY') throw err;
      if (!this.#moveSelfToLeaf) {
        throw new SandboxUnavailableError(
          `cannot enable ${missing.join(', ')} in ${file}: EBUSY, because the server's own cgroup ` +
            `${dir} has processes (${await this.#describePids(dir)}) and cgroup v2 enables controllers ` +
            `only for cgroups without processes of their own. Run the server in a delegated cgroup it ` +
            `has to itself, or set moveSelfToLeaf to move the server into ${this.supervisorDir}`,
          'cgroup-delegation',
          { cause: err },
        );
      }
    }
    // Move the processes of the server's own cgroup (this one and, say, the npm or shell that
    // started it) one level down, inside its own subtree, as container runtimes do with a delegated
    // cgroup. A process may fork meanwhile, so a few rounds; then give up and put this process back.
    await ensureCgroupDir(this.#fs, this.supervisorDir);
    let lastError: unknown;
    for (let round = 0; round < MOVE_ROUNDS; round++) {
      for (const pid of await readPids(this.#fs, dir)) {
        // A process that exited meanwhile (ESRCH) needs no move.
        await writeCgroupFile(this.#fs, this.supervisorDir, 'cgroup.procs', String(pid)).catch(
          (e: unknown) => {
            if (errnoOf(e) !== 'ESRCH') throw e;
          },
        );
      }
      try {
        await writeCgroupFile(this.#fs, dir, 'cgroup.subtree_control', value);
        return;
      } catch (err) {
        if (!(err instanceof CgroupSetupError) || err.errno !== 'EBUSY') throw err;
        lastError = err;
      }
    }
    const stuck = await this.#describePids(dir);
    // Best effort: leave the cgroups as they were rather than half-moved.
    await writeCgroupFile(this.#fs, dir, 'cgroup.procs', String(this.#selfPid)).catch(() => {});
    await removeCgroupDir(this.#fs, this.supervisorDir).catch(() => {});
    throw new SandboxUnavailableError(
      `cannot enable ${missing.join(', ')} in ${file}: EBUSY even after moving the processes of ` +
        `${dir} into ${this.supervisorDir} ${MOVE_ROUNDS} times: processes keep appearing (${stuck})`,
      'cgroup-delegation',
      { cause: lastError },
    );
  }

  async #describePids(dir: string): Promise<string> {
    const pids = await readPids(this.#fs, dir).catch(() => []);
    return pids.length === 0 ? 'none listed' : `PIDs ${pids.join(' ')}`;
  }

  async create(jobId: string, limits: ResourceLimits): Promise<JobCgroup> {
    checkCgroupName(jobId);
    const writes = cgroupV2LimitWrites(limits, this.#ioDevice);
    const dir = join(this.rootDir, jobId);
    await createCgroupDir(this.#fs, dir);
    try {
      await applyLimitWrites(this.#fs, writes, () => dir);
    } catch (err) {
      await removeCgroupDir(this.#fs, dir).catch(() => undefined); // Best effort: the write error matters.
      throw err;
    }
    return new V2JobCgroup(this.#fs, jobId, dir);
  }

  async sweep(): Promise<string[]> {
    const names = await this.#fs.subdirs(this.rootDir).catch((err: unknown) => {
      if (errnoOf(err) === 'ENOENT') return [];
      throw err;
    });
    const removed: string[] = [];
    const failed: { jobId: string; error: Error }[] = [];
    for (const name of names.sort()) {
      const job = new V2JobCgroup(this.#fs, name, join(this.rootDir, name));
      try {
        await job.killAll();
        await job.waitEmpty();
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
    await closeRoot(this.#fs, this.rootDir);
  }
}

class V2JobCgroup implements JobCgroup {
  readonly hasEmptyEvent = true;
  readonly dirs: readonly string[];
  readonly shimArgs: readonly string[];
  readonly #fs: CgroupFs;
  readonly #dir: string;

  constructor(
    fs: CgroupFs,
    readonly jobId: string,
    dir: string,
  ) {
    this.#fs = fs;
    this.#dir = dir;
    this.dirs = [dir];
    this.shimArgs = ['--cgroup2', dir];
  }

  async killAll(): Promise<void> {
    if (!(await this.#fs.exists(this.#dir))) return;
    const hasKill = await this.#fs.exists(join(this.#dir, 'cgroup.kill'));
    await unlessGone(hasKill ? killByCgroupKill(this.#fs, this.#dir) : killByV2Freezer(this.#fs, this.#dir));
  }

  waitEmpty(signal?: AbortSignal): Promise<void> {
    return waitForCgroupEvent(join(this.#dir, 'cgroup.events'), 'populated', '0', signal);
  }

  readUsage(): Promise<ResourceUsage> {
    return readV2Usage(this.#fs, this.#dir);
  }

  remove(): Promise<void> {
    return removeCgroupDir(this.#fs, this.#dir);
  }
}
