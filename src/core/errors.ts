/**
 * Errors of the core library. Each has a stable literal `code` that the server maps to a gRPC
 * status in one place, and the data a caller needs.
 */
export abstract class WorkernatorError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A job ID that is malformed or names no job. */
export class JobNotFoundError extends WorkernatorError {
  readonly code = 'WN_JOB_NOT_FOUND';
  constructor(readonly jobId: string) {
    super(`no job with ID ${JSON.stringify(jobId)}`);
  }
}

/** A job ID that is not of the form the store issues; rejected before it touches a path or a query. */
export class InvalidJobIdError extends WorkernatorError {
  readonly code = 'WN_INVALID_JOB_ID';
  constructor(readonly jobId: string) {
    super(
      `invalid job ID ${JSON.stringify(jobId.length > 40 ? `${jobId.slice(0, 40)}...` : jobId)}: expected 6 characters from A-Z and 2-9 (without I and O), such as XE38YM`,
    );
  }
}

/** Arguments a job type refuses; `field` names the offending argument. */
export class InvalidArgumentError extends WorkernatorError {
  readonly code = 'WN_INVALID_ARGUMENT';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export interface JobStartErrorOptions extends ErrorOptions {
  /**
   * True when the request is at fault rather than the launcher: its executable or working directory
   * cannot be used (missing, not executable, not a directory). The caller can fix that or choose
   * differently, so the server answers FAILED_PRECONDITION; otherwise UNAVAILABLE. False by default.
   */
  readonly causedByRequest?: boolean;
}

/**
 * The job could not be started (its executable is missing, the sandbox failed, ...). Whoever makes
 * the error says whose fault it is (`causedByRequest`): only the launcher knows what its steps mean.
 */
export class JobStartError extends WorkernatorError {
  readonly code = 'WN_JOB_START';
  /** See JobStartErrorOptions.causedByRequest. */
  readonly causedByRequest: boolean;
  constructor(
    message: string,
    /** The setup step that failed, when the launcher knows it. */
    readonly step?: string,
    /** The errno name (ENOENT, EACCES, ...), when there is one. */
    readonly errno?: string,
    options?: JobStartErrorOptions,
  ) {
    super(message, options);
    this.causedByRequest = options?.causedByRequest ?? false;
  }
}

/** A request that would exceed a configured limit of the manager. */
export class ResourceExhaustedError extends WorkernatorError {
  readonly code = 'WN_RESOURCE_EXHAUSTED';
  constructor(
    readonly limit: string,
    message: string,
  ) {
    super(message);
  }
}

/** The manager was closed; no new work is accepted. */
export class ManagerClosedError extends WorkernatorError {
  readonly code = 'WN_MANAGER_CLOSED';
  constructor() {
    super('the job manager is shutting down');
  }
}
