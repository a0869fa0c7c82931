import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { JobStartError } from '../core/errors.js';
import type { ExitStatus, LaunchRequest, LaunchedJob, Launcher } from '../core/launcher.js';
import type { CgroupBackend, JobCgroup } from './cgroups/backend.js';
import { describeOomKill } from './cgroups/limit-policy.js';
import { describeStartFailure, errnoName, parseShimStatus, type ShimStatus } from './shim-protocol.js';
import { ShimSpawner, type SpawnedShim } from './spawner.js';

export interface SandboxLauncherOptions {
  readonly shimPath: string;
  /** The forkserver that execs the shim for each job; by default workernator-spawner next to the shim. */
  readonly spawnerPath?: string | undefined;
  readonly cgroups: CgroupBackend;
  /** The unprivileged user and group jobs run as, unless a job may run as root. */
  readonly jobUser: string;
  readonly jobGroup: string;
  /**
   * Absolute paths hidden from every job (root or not): the shim mounts an empty read-only tmpfs
   * over each directory, /dev/null over each file (`--mask`). Paths missing on the host are skipped.
   */
  readonly maskedPaths?: readonly string[] | undefined;
  readonly logger?: { warn(details: object, message: string): void } | undefined;
}

/**
 * Runs each job through the C shim inside its own cgroups (made, with the job's limits, before the
 * job exists) and PID, mount, network, UTS and IPC namespaces. After the job's PID-namespace init has
 * ended, everything the job started is gone; the launcher then kills anything left in the cgroups
 * (there should be nothing), waits for them to be empty, reads the job's usage and removes them.
 *
 * The shim is not spawned from Node (a synchronous fork of the whole server) but by the shim
 * spawner (spawner.ts), started by start() or by the first launch(), and stopped by close().
 */
export class SandboxLauncher implements Launcher {
  readonly #options: SandboxLauncherOptions;
  #spawner: Promise<ShimSpawner> | undefined;

  constructor(options: SandboxLauncherOptions) {
    this.#options = options;
  }

  /** Starts the shim spawner now, so that a spawner that cannot run is found before any job. */
  async start(): Promise<void> {
    await this.#startSpawner();
  }

  /** Stops the spawner: jobs still running carry on and still report how they end. */
  async close(): Promise<void> {
    const spawner = await this.#spawner?.catch(() => undefined);
    await spawner?.close();
  }

  async launch(request: LaunchRequest): Promise<LaunchedJob> {
    const cgroup = await this.#options.cgroups.create(request.jobId, request.limits);
    let shim: SpawnedShim;
    try {
      const spawner = await this.#startSpawner();
      shim = await spawner.spawn(this.#shimArgs(request, cgroup), shimEnvironment(request.env));
    } catch (error) {
      // A spawn that failed after its fork has killed the shim; the cgroups may still be emptying.
      await this.#release(cgroup);
      if (error instanceof JobStartError) throw error;
      throw new JobStartError(
        `could not run the sandbox shim: ${(error as Error).message}`,
        'spawn-shim',
        undefined,
        { cause: error },
      );
    }
    // Handed on as it is: the pipe is our own (opened through the spawner), so what the job writes
    // before the manager starts reading waits in it and is never discarded when the shim exits.
    const output = shim.stdout;
    const statuses = statusLines(shim.status);
    const diagnostics = collectText(shim.stderr, 4096);
    const shimExited = shim.exited;

    const first = await statuses.next();
    if (first.done === true || first.value.kind !== 'running') {
      await shimExited;
      await this.#release(cgroup);
      throw startFailure(first.done === true ? undefined : first.value, await diagnostics);
    }

    const exited = this.#supervise(request, cgroup, statuses, shimExited);
    return {
      pid: first.value.pid,
      output,
      exited,
      terminate: () => {
        // The shim forwards SIGTERM to the namespace's init, which forwards it to the job. The
        // spawner signals only a shim it has not reaped, so never a reused pid.
        shim.kill('SIGTERM');
      },
      kill: () => {
        cgroup.killAll().catch((error: unknown) => {
          this.#options.logger?.warn(
            { jobId: request.jobId, err: error },
            'cgroup kill failed; killing the shim',
          );
          shim.kill('SIGKILL');
        });
      },
    };
  }

  recover(): Promise<readonly string[]> {
    return this.#options.cgroups.sweep();
  }

  /** The running spawner; a start that failed is tried again on the next call. */
  #startSpawner(): Promise<ShimSpawner> {
    if (this.#spawner === undefined) {
      const { shimPath, spawnerPath, logger } = this.#options;
      const starting = ShimSpawner.start(spawnerPath ?? defaultSpawnerPath(shimPath), shimPath, logger);
      this.#spawner = starting;
      starting.catch(() => {
        if (this.#spawner === starting) this.#spawner = undefined;
      });
    }
    return this.#spawner;
  }

  async #supervise(
    request: LaunchRequest,
    cgroup: JobCgroup,
    statuses: AsyncIterator<ShimStatus>,
    shimExited: Promise<unknown>,
  ): Promise<ExitStatus> {
    let end: ShimStatus | undefined;
    for (let next = await statuses.next(); next.done !== true; next = await statuses.next()) end = next.value;
    await shimExited;
    const usage = await this.#release(cgroup);
    if (end?.kind === 'exit') return { exitCode: end.code, usage };
    const signal = end?.kind === 'signal' ? end.signal : 'SIGKILL';
    const reason = usage?.oomKilled === true ? describeOomKill(request.limits) : undefined;
    return { signal, usage, reason };
  }

  /** Kills whatever is left in the job's cgroups, waits until they are empty, reads usage, removes them. */
  async #release(cgroup: JobCgroup): Promise<ExitStatus['usage']> {
    try {
      await cgroup.killAll();
      await cgroup.waitEmpty();
      const usage = await cgroup.readUsage();
      await cgroup.remove();
      return usage;
    } catch (error) {
      this.#options.logger?.warn(
        { jobId: cgroup.jobId, err: error },
        'could not release the cgroups of a job',
      );
      return undefined;
    }
  }

  #shimArgs(request: LaunchRequest, cgroup: JobCgroup): string[] {
    const args = ['--job-id', request.jobId, ...cgroup.shimArgs, '--net', request.isolation.network];
    for (const path of this.#options.maskedPaths ?? []) args.push('--mask', path);
    if (request.isolation.runAsRoot) args.push('--root');
    else args.push('--user', this.#options.jobUser, '--group', this.#options.jobGroup);
    if (request.workingDir !== undefined) args.push('--cwd', request.workingDir);
    if (request.builtinScript === undefined) return [...args, '--', request.executable, ...request.args];
    // Built-in jobs: node and the runner bundle are opened with the server's rights, so the job user
    // needs no access to the installation directory; node reads the bundle from its stdin.
    return [
      ...args,
      '--open-exec',
      '--stdin-file',
      request.builtinScript,
      '--',
      request.executable,
      '--input-type=module',
      '-',
      ...request.args,
    ];
  }
}

/**
 * The shim hands its environment to the job unchanged, but it runs as root first. It is static (no
 * LD_PRELOAD or LD_LIBRARY_PATH for it), yet glibc still reads GLIBC_TUNABLES at start-up, so that
 * one variable is never passed through from a job's request.
 */
function shimEnvironment(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'GLIBC_TUNABLES'));
}

/** Where `make -C native` puts the spawner: next to the shim. */
export function defaultSpawnerPath(shimPath: string): string {
  return join(dirname(shimPath), 'workernator-spawner');
}

/** The shim's fd-3 lines, parsed; unknown lines are skipped. */
async function* statusLines(fd3: Readable): AsyncGenerator<ShimStatus> {
  for await (const line of createInterface({ input: fd3, crlfDelay: Infinity })) {
    const status = parseShimStatus(line);
    if (status !== undefined) yield status;
  }
}

/** The first `limit` characters of a stream, read to its end. */
async function collectText(stream: Readable, limit: number): Promise<string> {
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (text.length < limit) text += chunk.toString('utf8').slice(0, limit - text.length);
  }
  return text.trim();
}

function startFailure(status: ShimStatus | undefined, diagnostics: string): JobStartError {
  if (status?.kind === 'error') {
    return new JobStartError(
      describeStartFailure(status.step, status.errno, status.detail),
      status.step,
      errnoName(status.errno),
      { causedByRequest: status.causedByRequest },
    );
  }
  const said = diagnostics === '' ? '' : `: ${diagnostics}`;
  return new JobStartError(`the sandbox shim ended before the job started${said}`, 'shim');
}
