/**
 * The job model of the core library. These are Workernator's own types: the gRPC layer maps them to
 * and from the wire types in `src/gen`, so the library stays usable without gRPC.
 */

export const JOB_TYPES = ['noop', 'fibonacci', 'expression-evaluator', 'wait-then-send', 'command'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_STATUSES = ['pending', 'running', 'complete', 'failed', 'stopped', 'lost'] as const;
/**
 * pending -> running -> complete (exit 0) | failed (non-zero exit, signal, start error) |
 * stopped (by Stop or by the server, with a reason) | lost (its server went away while it ran).
 */
export type JobStatus = (typeof JOB_STATUSES)[number];

export const ENDED_STATUSES: ReadonlySet<JobStatus> = new Set(['complete', 'failed', 'stopped', 'lost']);

export function isEnded(status: JobStatus): boolean {
  return ENDED_STATUSES.has(status);
}

export interface NoopArguments {
  readonly type: 'noop';
}

export interface FibonacciArguments {
  readonly type: 'fibonacci';
  /** Position from 1: F(1) = 0, F(2) = 1, F(3) = 1. */
  readonly position: number;
}

export interface ExpressionEvaluatorArguments {
  readonly type: 'expression-evaluator';
  readonly expression: string;
  readonly variables: Readonly<Record<string, number>>;
}

export interface WaitThenSendArguments {
  readonly type: 'wait-then-send';
  readonly url: string;
  readonly waitSeconds: number;
}

export interface CommandArguments {
  readonly type: 'command';
  readonly executable: string;
  readonly args: readonly string[];
  /** The job's whole environment; nothing of the server's is inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** Absent means the launcher's default (the job's private /tmp in the sandbox). */
  readonly workingDir?: string;
}

export type JobArguments =
  | NoopArguments
  | FibonacciArguments
  | ExpressionEvaluatorArguments
  | WaitThenSendArguments
  | CommandArguments;

/** Limits applied to a job. An absent field means "no limit" once defaults have been applied. */
export interface ResourceLimits {
  readonly cpuMillicores?: number;
  readonly memoryBytes?: number;
  readonly ioReadBytesPerSecond?: number;
  readonly ioWriteBytesPerSecond?: number;
  readonly ioReadIops?: number;
  readonly ioWriteIops?: number;
  readonly pids?: number;
}

export const RESOURCE_LIMIT_KEYS = [
  'cpuMillicores',
  'memoryBytes',
  'ioReadBytesPerSecond',
  'ioWriteBytesPerSecond',
  'ioReadIops',
  'ioWriteIops',
  'pids',
] as const satisfies readonly (keyof ResourceLimits)[];

/** What a job used, read from its cgroups (or the kernel's rusage) before they were removed. */
export interface ResourceUsage {
  readonly cpuTimeMicros?: number;
  readonly peakMemoryBytes?: number;
  readonly oomKilled?: boolean;
}

export type NetworkMode = 'isolated' | 'host';

/** How a job is confined, beyond its limits. */
export interface Isolation {
  readonly network: NetworkMode;
  readonly runAsRoot: boolean;
}

/** A job as the library records and reports it. Times are milliseconds since the epoch. */
export interface Job {
  readonly id: string;
  readonly type: JobType;
  readonly args: JobArguments;
  /** Identity of whoever started it; the library does not interpret it. */
  readonly owner: string;
  readonly status: JobStatus;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly exitCode?: number;
  readonly signal?: string;
  /** Why it failed, was stopped or lost, in words a person can act on. */
  readonly error?: string;
  readonly limits: ResourceLimits;
  readonly usage?: ResourceUsage;
  readonly isolation: Isolation;
  /** Bytes of output recorded so far. */
  readonly outputBytes: number;
}
