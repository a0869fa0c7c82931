import type { Readable } from 'node:stream';
import type { Isolation, ResourceLimits, ResourceUsage } from './types.js';

/** Everything a launcher needs to run one job. */
export interface LaunchRequest {
  readonly jobId: string;
  /** An absolute path, or a name the launcher looks up in `env.PATH` (or a default PATH). */
  readonly executable: string;
  /** Arguments after argv[0]. */
  readonly args: readonly string[];
  /** The job's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Absent: the launcher's default working directory. */
  readonly workingDir?: string;
  readonly limits: ResourceLimits;
  readonly isolation: Isolation;
  /**
   * Set for the built-in job types: the job-runner bundle that `executable` (node) runs, followed by
   * `args`. The sandbox opens it, and node, with the server's rights before it drops privileges, so
   * built-in jobs work even when the job user cannot read the installation directory.
   */
  readonly builtinScript?: string;
}

/** How a job ended. */
export interface ExitStatus {
  /** Set when the job's main process exited by itself. */
  readonly exitCode?: number;
  /** Set when it was ended by a signal, e.g. "SIGKILL". */
  readonly signal?: string;
  readonly usage?: ResourceUsage;
  /** What the launcher knows beyond code and signal, e.g. "killed: out of memory (limit 64 MiB)". */
  readonly reason?: string;
}

/** A job whose executable has been exec'd. */
export interface LaunchedJob {
  readonly pid: number;
  /**
   * The job's stdout and stderr, interleaved as written, as raw bytes. It ends once no process of the
   * job holds it open, which after `exited` is always the case for the sandbox launcher.
   */
  readonly output: Readable;
  /**
   * Resolves once, when the job and everything it started have ended and the launcher has released
   * what it held for it (cgroups, namespaces). Never rejects.
   */
  readonly exited: Promise<ExitStatus>;
  /** Asks the job to end: SIGTERM to its main process. Safe to call at any time, also after the end. */
  terminate(): void;
  /** Ends the job and everything it started, at once. Safe to call at any time, any number of times. */
  kill(): void;
}

/** Starts jobs. The core library defines it; the sandbox implements it with cgroups and namespaces. */
export interface Launcher {
  /**
   * Resolves once the job's executable runs; rejects with a JobStartError that names what failed
   * (`executable not found: /usr/bin/nope`) and leaves nothing behind.
   */
  launch(request: LaunchRequest): Promise<LaunchedJob>;
  /**
   * Called once when a manager opens on a data directory: removes what a crashed earlier server left
   * behind (processes, cgroups). Returns the IDs of jobs whose remains it found and removed.
   */
  recover?(): Promise<readonly string[]>;
}
