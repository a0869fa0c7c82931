/**
 * Errors of the sandbox layer (cgroups, limits, block devices). Each has a stable literal `code` that
 * the server maps to a gRPC status in one place, and the data a caller needs.
 */
import { WorkernatorError } from '../core/errors.js';

/**
 * A cgroup operation failed: making or removing a directory, writing a limit, killing, reading
 * usage. `step` names what was being done ("write memory.max = 1"), `path` the file or directory,
 * `errno` the error name (EBUSY, EACCES, ...) when there is one; the original error is the `cause`.
 */
export class CgroupSetupError extends WorkernatorError {
  readonly code = 'WN_CGROUP_SETUP';
  constructor(
    message: string,
    readonly step: string,
    readonly path?: string,
    readonly errno?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Crash recovery found job cgroups it could not remove; those that it did remove are in `removed`. */
export class CgroupSweepError extends WorkernatorError {
  readonly code = 'WN_CGROUP_SWEEP';
  constructor(
    readonly removed: readonly string[],
    readonly failed: readonly { readonly jobId: string; readonly error: Error }[],
  ) {
    super(
      `could not remove the cgroups of ${failed.length} job(s) left by an earlier server: ` +
        failed.map((f) => `${f.jobId}: ${f.error.message}`).join('; '),
      { cause: new AggregateError(failed.map((f) => f.error)) },
    );
  }
}

/** A requested limit is above the server's cap, e.g. "memory 2 GiB is above the server's cap of 1 GiB". */
export class LimitAboveCapError extends WorkernatorError {
  readonly code = 'WN_LIMIT_ABOVE_CAP';
  constructor(
    /** The ResourceLimits key, e.g. "memoryBytes". */
    readonly limit: string,
    readonly value: number,
    readonly cap: number,
    message: string,
  ) {
    super(message);
  }
}

/** A limit that is not a positive integer, or below what the kernel accepts. */
export class InvalidLimitError extends WorkernatorError {
  readonly code = 'WN_INVALID_LIMIT';
  constructor(
    /** The ResourceLimits key, e.g. "cpuMillicores". */
    readonly limit: string,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The sandbox cannot work on this host as configured: no cgroup filesystem, a required controller
 * missing, a cgroup the server may not delegate, IO limits without a block device.
 */
export class SandboxUnavailableError extends WorkernatorError {
  readonly code = 'WN_SANDBOX_UNAVAILABLE';
  constructor(
    message: string,
    /** What is missing, in a word: "cgroupfs", "controller:io", "block-device", ... */
    readonly missing: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
