/** Errors of the job store. Each has a stable literal `code`, like the rest of the core's errors. */
import { WorkernatorError } from '../errors.js';

/**
 * The store's database failed at some step. The message names the step and the SQLite code, e.g.
 * `job store: open /var/lib/workernator/jobs.db: SQLITE_CANTOPEN: unable to open database file`;
 * the original error is the `cause`.
 */
export class JobStoreError extends WorkernatorError {
  readonly code = 'WN_JOB_STORE';
  constructor(
    /** What the store was doing: "open /x/jobs.db", "insert XE38YM", "list", ... */
    readonly step: string,
    /** The SQLite (or errno) code when there is one, e.g. SQLITE_BUSY, SQLITE_FULL, EACCES. */
    readonly sqliteCode: string | undefined,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`job store: ${step}: ${sqliteCode !== undefined ? `${sqliteCode}: ` : ''}${detail}`, options);
  }
}

/** An insert whose job ID is already taken. */
export class DuplicateJobIdError extends WorkernatorError {
  readonly code = 'WN_DUPLICATE_JOB_ID';
  constructor(
    readonly jobId: string,
    options?: ErrorOptions,
  ) {
    super(`job store: a job with ID ${jobId} already exists`, options);
  }
}

/** The database was written by a newer Workernator; opening it with older code could damage it. */
export class UnsupportedStoreVersionError extends WorkernatorError {
  readonly code = 'WN_STORE_VERSION';
  constructor(
    readonly path: string,
    readonly foundVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      `job store: ${path} has schema version ${foundVersion}, but this Workernator knows versions up to ` +
        `${supportedVersion}; upgrade Workernator, or point it at another data directory`,
    );
  }
}

/** A list cursor that this store did not issue (truncated, edited, or from another version). */
export class InvalidCursorError extends WorkernatorError {
  readonly code = 'WN_INVALID_CURSOR';
  constructor(readonly cursor: string) {
    super(
      `invalid list cursor ${JSON.stringify(cursor.length > 40 ? `${cursor.slice(0, 40)}...` : cursor)}: ` +
        'pass back the nextCursor of a previous list unchanged',
    );
  }
}
