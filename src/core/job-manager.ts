import { mkdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { deferred, type Deferred } from './deferred.js';
import { JobNotFoundError, JobStartError, ManagerClosedError, WorkernatorError } from './errors.js';
import { validateJobArguments } from './jobs/index.js';
import { GRANT_ENV, type RunGrants } from './jobs/job-definition.js';
import { runnerBundlePath } from './jobs/runner-location.js';
import type { LaunchRequest, LaunchedJob, Launcher } from './launcher.js';
import { endedLog, OutputLog } from './output/output-log.js';
import { describeOutputProblem, pumpOutput, type DiskReserve } from './output/pump.js';
import { offsetOfLastLines, readLog, type ChunkBuffers } from './output/read-log.js';
import { Retention, type RetentionPolicy } from './retention.js';
import { JobStore } from './store/job-store.js';
import { describeExit, finalStatus } from './job-outcome.js';
import type { Isolation, Job, JobArguments, JobStatus, NetworkMode, ResourceLimits } from './types.js';

export const DEFAULT_GRACE_MS = 10_000;
export const DEFAULT_OUTPUT_CAP_BYTES = 1024 ** 3;
export const DEFAULT_OUTPUT_RESERVE_BYTES = 8 * 1024 ** 2;
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Minimal structured logger (pino's shape), so the library does not depend on one. */
export interface ManagerLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** How built-in job types are run: `executable` (node) runs the job-runner bundle `script`. */
export interface BuiltinRunner {
  readonly executable: string;
  readonly script: string;
}

export interface JobManagerOptions {
  /** Holds the job store and every job's output; created 0700 if missing. */
  readonly dataDir: string;
  readonly launcher: Launcher;
  /** A job whose output passes this many bytes is stopped, so one job cannot fill the disk. 1 GiB by default. */
  readonly outputCapBytes?: number;
  /**
   * Output stops being recorded (the job is stopped, "no space left on device") once the disk that
   * holds it has less than this free, so the store can still record the job's end. 8 MiB by default.
   */
  readonly outputReserveBytes?: number;
  /** When ended jobs' records and output are removed. Nothing is removed by default. */
  readonly retention?: RetentionPolicy;
  /** Told the IDs of ended jobs the retention policy removed. */
  readonly onJobsRemoved?: (ids: readonly string[]) => void;
  /** How long Stop waits after SIGTERM before it kills; 10 s by default. */
  readonly defaultGraceMs?: number;
  readonly builtinRunner?: BuiltinRunner;
  readonly logger?: ManagerLogger;
  /** Milliseconds since the epoch; for tests. */
  readonly clock?: () => number;
}

export interface StartJobOptions {
  readonly args: JobArguments;
  /** Who starts the job; recorded, not interpreted. */
  readonly owner: string;
  /** The limits to apply, already checked against any policy (the server caps them). */
  readonly limits?: ResourceLimits;
  /** Defaults: no root; the network only for wait-then-send, whose code is ours and needs it. */
  readonly isolation?: Partial<Isolation>;
  /**
   * Lets a wait-then-send job connect to addresses that are not public: loopback, private (RFC 1918,
   * fc00::/7), link-local (the cloud metadata endpoint 169.254.169.254), multicast, unspecified.
   * False by default, since the job has the host's network. Not recorded: it matters only at launch.
   */
  readonly allowPrivateDestinations?: boolean;
}

export interface StopJobOptions {
  /** Time between SIGTERM and the kill of everything the job started. */
  readonly graceMs?: number;
  /** Recorded as the job's error when the stop is the server's decision rather than a user's. */
  readonly reason?: string;
}

export interface TailOptions {
  /** Start at this byte of the output. */
  readonly offset?: number;
  /** Start at the beginning of the last N lines recorded so far (instead of `offset`). */
  readonly lastLines?: number;
  /** Follow until the job has ended (default), or end after what is recorded now. */
  readonly follow?: boolean;
  /** Ends the tail; the iteration then throws the signal's reason. */
  readonly signal?: AbortSignal;
  /** Buffers to read the chunks into (see readLog); fresh ones by default. */
  readonly buffers?: ChunkBuffers;
}

export interface ListOptions {
  readonly owner?: string;
  readonly statuses?: readonly JobStatus[];
  readonly limit?: number;
  readonly cursor?: string;
}

/** A job this manager started and that has not ended yet. */
interface ActiveJob {
  /** Set once the log file exists (before launch). */
  log?: OutputLog;
  launched?: LaunchedJob;
  /** Settles once launch has succeeded or failed. */
  readonly launchSettled: Deferred<void>;
  /** Settles once the job's final record is stored. */
  readonly ended: Deferred<void>;
  stopRequested: boolean;
  stopReason?: string;
}

/**
 * Starts, stops, inspects and tails jobs. It records every job in a SQLite store and every job's
 * output in a file in the data directory, and launches processes through a Launcher (the sandbox,
 * or a plain process-group launcher). Usable without the server.
 */
export class JobManager {
  readonly #store: JobStore;
  readonly #launcher: Launcher;
  readonly #outputDir: string;
  readonly #outputCapBytes: number;
  readonly #diskReserve: DiskReserve;
  readonly #defaultGraceMs: number;
  readonly #runner: BuiltinRunner;
  readonly #logger: ManagerLogger | undefined;
  readonly #clock: () => number;
  readonly #retention: Retention;
  readonly #active = new Map<string, ActiveJob>();
  #closing: Promise<void> | undefined;
  /** Set once the store is closed; jobs left running then end unrecorded (LOST at the next open). */
  #storeClosed = false;

  private constructor(options: JobManagerOptions, store: JobStore, outputDir: string) {
    this.#store = store;
    this.#launcher = options.launcher;
    this.#outputDir = outputDir;
    this.#outputCapBytes = options.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES;
    this.#diskReserve = {
      reserveBytes: options.outputReserveBytes ?? DEFAULT_OUTPUT_RESERVE_BYTES,
      freeBytes: async () => {
        const fs = await statfs(outputDir);
        return fs.bavail * fs.bsize;
      },
    };
    this.#defaultGraceMs = options.defaultGraceMs ?? DEFAULT_GRACE_MS;
    this.#runner = options.builtinRunner ?? { executable: process.execPath, script: runnerBundlePath() };
    this.#logger = options.logger;
    this.#clock = options.clock ?? Date.now;
    this.#retention = new Retention({
      policy: options.retention ?? {},
      store,
      logPath: (id) => this.#logPath(id),
      activeBytes: () => [...this.#active.values()].reduce((sum, job) => sum + (job.log?.size ?? 0), 0),
      clock: this.#clock,
      logger: options.logger,
      onRemoved: options.onJobsRemoved,
    });
  }

  /**
   * Opens the data directory. Jobs that an earlier process recorded as running are marked LOST (their
   * output is kept), and the launcher removes whatever that process left behind.
   */
  static async open(options: JobManagerOptions): Promise<JobManager> {
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    const outputDir = join(options.dataDir, 'output');
    await mkdir(outputDir, { recursive: true, mode: 0o700 });
    const store = JobStore.open(options.dataDir);
    try {
      const manager = new JobManager(options, store, outputDir);
      await manager.#recover();
      return manager;
    } catch (error) {
      store.close();
      throw error;
    }
  }

  async #recover(): Promise<void> {
    const swept = new Set(await this.#launcher.recover?.());
    const lost = this.#store.markUnfinishedAsLost(
      'lost: the server that ran this job stopped while the job was running',
      this.#clock(),
    );
    for (const id of lost) {
      this.#store.update(id, { outputBytes: await fileSize(this.#logPath(id)) });
      swept.delete(id);
    }
    if (swept.size > 0) {
      this.#logger?.warn(
        { jobIds: [...swept] },
        'removed the remains of jobs this data directory does not know',
      );
    }
    await this.#retention.run();
  }

  /** Validates, records and launches a job; resolves once it runs, rejects with why it could not start. */
  async start(options: StartJobOptions): Promise<Job> {
    if (this.#closing !== undefined) throw new ManagerClosedError();
    const args = validateJobArguments(options.args);
    const isolation: Isolation = {
      network: options.isolation?.network ?? defaultNetwork(args),
      runAsRoot: options.isolation?.runAsRoot ?? false,
    };
    const job = this.#store.insertWithNewId((id) => ({
      id,
      type: args.type,
      args,
      owner: options.owner,
      status: 'pending',
      createdAt: this.#clock(),
      limits: options.limits ?? {},
      isolation,
      outputBytes: 0,
    }));

    // Registered before the first await, so that a Stop arriving while the job launches finds it.
    const active: ActiveJob = { launchSettled: deferred(), ended: deferred(), stopRequested: false };
    this.#active.set(job.id, active);
    // The log file is created while the job launches (creating it took 1 ms of a 7 ms start): what
    // the job writes meanwhile waits in its output pipe, which is read only once both are there.
    const [log, launched] = await Promise.allSettled([
      OutputLog.create(this.#logPath(job.id)),
      this.#launcher.launch(
        this.#launchRequest(job, { privateDestinations: options.allowPrivateDestinations === true }),
      ),
    ]);
    if (log.status === 'rejected' || launched.status === 'rejected') {
      this.#active.delete(job.id);
      if (launched.status === 'fulfilled') await abandon(launched.value);
      if (log.status === 'fulfilled') await log.value.finish();
      active.launchSettled.resolve();
      active.ended.resolve();
      // The launch's failure says more than the log's, when both failed.
      throw this.#failStart(job.id, launched.status === 'rejected' ? launched.reason : logFailure(log));
    }
    active.log = log.value;
    active.launched = launched.value;
    this.#store.update(job.id, { status: 'running', startedAt: this.#clock() });
    active.launchSettled.resolve();
    void this.#supervise(job.id, active, log.value, launched.value);
    return this.status(job.id);
  }

  /** Records a start failure on the job and returns the error to throw. */
  #failStart(id: string, error: unknown): WorkernatorError {
    const startError =
      error instanceof WorkernatorError
        ? error
        : new JobStartError(`could not start the job: ${(error as Error).message}`, undefined, undefined, {
            cause: error,
          });
    this.#store.update(id, { status: 'failed', finishedAt: this.#clock(), error: startError.message });
    return startError;
  }

  /** Records the output of a running job and, when it has ended, its outcome. Never rejects. */
  async #supervise(id: string, active: ActiveJob, log: OutputLog, launched: LaunchedJob): Promise<void> {
    try {
      const pumped = pumpOutput(
        launched.output,
        log,
        this.#outputCapBytes,
        (problem) => {
          this.stop(id, { graceMs: 0, reason: describeOutputProblem(problem) }).catch((error: unknown) => {
            this.#logger?.error(
              { jobId: id, err: error },
              'could not stop a job whose output could not be recorded',
            );
          });
        },
        this.#diskReserve,
      );
      const exit = await launched.exited;
      await pumped;
      const status = finalStatus(exit, active.stopRequested);
      if (this.#storeClosed) return;
      this.#store.update(id, {
        status,
        finishedAt: this.#clock(),
        exitCode: exit.exitCode,
        signal: exit.signal,
        error: active.stopReason ?? exit.reason ?? (status === 'failed' ? describeExit(exit) : undefined),
        usage: exit.usage,
        outputBytes: log.size,
      });
    } catch (error) {
      this.#logger?.error({ jobId: id, err: error }, 'could not record the end of a job');
    } finally {
      // Followers end when the log does: by then the job's final record must be readable.
      await log.finish().catch((error: unknown) => {
        this.#logger?.error({ jobId: id, err: error }, 'could not close the output log of a job');
      });
      this.#active.delete(id);
      active.ended.resolve();
    }
    await this.#retention.run();
  }

  /**
   * Sends SIGTERM, waits up to the grace period, then kills everything the job started; resolves
   * with the ended job. A job that has already ended is returned unchanged.
   */
  async stop(id: string, options: StopJobOptions = {}): Promise<Job> {
    const job = this.status(id);
    const active = this.#active.get(job.id);
    if (active === undefined) return job;
    if (!active.stopRequested) {
      active.stopRequested = true;
      active.stopReason = options.reason;
    }
    await active.launchSettled.promise;
    const launched = active.launched;
    if (launched !== undefined) {
      const graceMs = options.graceMs ?? this.#defaultGraceMs;
      launched.terminate();
      const kill = setTimeout(() => launched.kill(), Math.max(0, graceMs));
      await active.ended.promise;
      clearTimeout(kill);
    }
    await active.ended.promise;
    return this.status(job.id);
  }

  /** Resolves with the job once it has ended (at once for an ended job). */
  async wait(id: string): Promise<Job> {
    const job = this.status(id);
    await this.#active.get(job.id)?.ended.promise;
    return this.status(job.id);
  }

  /** The job as it is now; throws JobNotFoundError for an unknown ID, InvalidJobIdError for a malformed one. */
  status(id: string): Job {
    const job = this.#store.get(id);
    if (job === undefined) throw new JobNotFoundError(id);
    return this.#withLiveSize(job);
  }

  /** How many jobs the store holds in each status (one query; for metrics). */
  countByStatus(): Record<JobStatus, number> {
    return this.#store.countByStatus();
  }

  /** Jobs newest first, a page at a time. */
  list(options: ListOptions = {}): { jobs: Job[]; nextCursor?: string } {
    const page = this.#store.list({ ...options, limit: options.limit ?? 100 });
    return { ...page, jobs: page.jobs.map((job) => this.#withLiveSize(job)) };
  }

  /**
   * The job's output as chunks of at most 64 KiB, from the start, an offset or the last N lines,
   * following it until the job has ended and everything is read (or not following). Throws at once
   * for an unknown job.
   */
  tail(id: string, options: TailOptions = {}): AsyncIterable<Uint8Array> {
    const job = this.status(id);
    return this.#tail(job.id, this.#active.get(job.id), options);
  }

  async *#tail(id: string, active: ActiveJob | undefined, options: TailOptions): AsyncGenerator<Uint8Array> {
    // A job still launching has no log yet; once launched (or failed) it has one, or has ended.
    if (active !== undefined && active.log === undefined) await active.launchSettled.promise;
    const path = this.#logPath(id);
    const log = active?.log ?? endedLog(path, await fileSize(path));
    const offset =
      options.lastLines === undefined
        ? (options.offset ?? 0)
        : await offsetOfLastLines(log.path, log.size, options.lastLines);
    yield* readLog(log, {
      offset,
      follow: options.follow,
      signal: options.signal,
      buffers: options.buffers,
    });
  }

  /**
   * Stops every running job (with the grace period given, or each job's default) and closes the
   * store. With `leaveRunning`, jobs are not stopped: the store closes at once and the jobs are
   * recorded as LOST by the next manager that opens the directory.
   */
  close(options: { graceMs?: number; leaveRunning?: boolean } = {}): Promise<void> {
    this.#closing ??= (async () => {
      this.#retention.close();
      if (options.leaveRunning !== true) {
        await Promise.all(
          [...this.#active.keys()].map((id) =>
            this.stop(id, { graceMs: options.graceMs, reason: 'the server shut down' }).catch(
              (error: unknown) => {
                this.#logger?.error({ jobId: id, err: error }, 'could not stop a job at shutdown');
              },
            ),
          ),
        );
      }
      this.#storeClosed = true;
      this.#store.close();
    })();
    return this.#closing;
  }

  #withLiveSize(job: Job): Job {
    const log = this.#active.get(job.id)?.log;
    return log === undefined ? job : { ...job, outputBytes: log.size };
  }

  #logPath(id: string): string {
    return join(this.#outputDir, `${id}.log`);
  }

  #launchRequest(job: Job, grants: RunGrants): LaunchRequest {
    const base = { jobId: job.id, limits: job.limits, isolation: job.isolation };
    if (job.args.type === 'command') {
      const { executable, args, env, workingDir } = job.args;
      return { ...base, executable, args, env, workingDir };
    }
    return {
      ...base,
      executable: this.#runner.executable,
      builtinScript: this.#runner.script,
      args: [JSON.stringify(job.args)],
      env: { PATH: DEFAULT_PATH, LANG: 'C.UTF-8', ...grantEnvironment(grants) },
    };
  }
}

/** The environment variables that hand `grants` to a built-in job's process (readGrants reads them). */
function grantEnvironment(grants: RunGrants): Record<string, string> {
  return grants.privateDestinations ? { [GRANT_ENV.privateDestinations]: '1' } : {};
}

function defaultNetwork(args: JobArguments): NetworkMode {
  return args.type === 'wait-then-send' ? 'host' : 'isolated';
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

function logFailure(log: PromiseSettledResult<OutputLog>): unknown {
  return log.status === 'rejected' ? log.reason : undefined;
}

/** Ends a job that launched but cannot be recorded (its log could not be created): kill, drain, wait. */
async function abandon(job: LaunchedJob): Promise<void> {
  job.kill();
  job.output.resume();
  await job.exited;
}
