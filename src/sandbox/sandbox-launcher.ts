import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';
import { JobStartError } from '../core/errors.js';
import type { ExitStatus, LaunchRequest, LaunchedJob, Launcher } from '../core/launcher.js';
import type { CgroupBackend, JobCgroup } from './cgroups/backend.js';
import { describeOomKill } from './cgroups/limit-policy.js';
import { describeStartFailure, errnoName, parseShimStatus, type ShimStatus } from './shim-protocol.js';

export interface SandboxLauncherOptions {
  readonly shimPath: string;
  readonly cgroups: CgroupBackend;
  /** The unprivileged user and group jobs run as, unless a job may run as root. */
  readonly jobUser: string;
  readonly jobGroup: string;
  readonly logger?: { warn(details: object, message: string): void } | undefined;
}

/**
 * Runs each job through the C shim inside its own cgroups (made, with the job's limits, before the
 * job exists) and PID, mount, network, UTS and IPC namespaces. After the job's PID-namespace init has
 * ended, everything the job started is gone; the launcher then kills anything left in the cgroups
 * (there should be nothing), waits for them to be empty, reads the job's usage and removes them.
 */
export class SandboxLauncher implements Launcher {
  readonly #options: SandboxLauncherOptions;

  constructor(options: SandboxLauncherOptions) {
    this.#options = options;
  }

  async launch(request: LaunchRequest): Promise<LaunchedJob> {
    const cgroup = await this.#options.cgroups.create(request.jobId, request.limits);
    let shim: ChildProcess;
    try {
      shim = spawn(this.#options.shimPath, this.#shimArgs(request, cgroup), {
        env: shimEnvironment(request.env),
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      });
    } catch (error) {
      await cgroup.remove();
      throw new JobStartError(
        `could not run the sandbox shim: ${(error as Error).message}`,
        'spawn-shim',
        undefined,
        { cause: error },
      );
    }
    // Read the output from the start: Node discards the data of a child's stdio stream that nobody
    // reads by the time the child exits, and a quick job's shim can exit before launch() returns.
    const output = (shim.stdout as Readable).pipe(new PassThrough());
    const statuses = statusLines(shim);
    const diagnostics = collectText(shim.stderr as Readable, 4096);
    const shimExited = once(shim, 'exit').catch(() => []);
    shim.once('error', () => {});

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
        // The shim forwards SIGTERM to the namespace's init, which forwards it to the job.
        if (shim.exitCode === null && shim.signalCode === null) shim.kill('SIGTERM');
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

/** The shim's fd-3 lines, parsed; unknown lines are skipped. */
async function* statusLines(shim: ChildProcess): AsyncGenerator<ShimStatus> {
  const fd3 = shim.stdio[3] as Readable;
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
    );
  }
  const said = diagnostics === '' ? '' : `: ${diagnostics}`;
  return new JobStartError(`the sandbox shim ended before the job started${said}`, 'shim');
}
