/**
 * The CLI's errors. Each has a literal `code`; main.ts maps codes to exit codes and prints the
 * message as the one line a person acts on. Errors from grpc-js and the file system are translated
 * into these once, at the boundary (grpc-errors.ts, connection/), never deeper.
 */

export type CliErrorCode =
  | 'WN_CLI_USAGE'
  | 'WN_CLI_JOB'
  | 'WN_CLI_CONNECTION'
  | 'WN_CLI_TLS'
  | 'WN_CLI_FILE'
  | 'WN_CLI_NOT_FOUND'
  | 'WN_CLI_PERMISSION'
  | 'WN_CLI_INTERRUPTED';

export abstract class CliError extends Error {
  abstract readonly code: CliErrorCode;
}

/** A value that did not parse; the caller adds which flag or argument it was. */
export class ValueError extends Error {}

/** Wrong arguments or flags: printed with the command's usage block, as cobra does. */
export class UsageError extends CliError {
  readonly code = 'WN_CLI_USAGE';
  /** The command path whose usage follows the message ("workernator jobs start fib"); none for a bare hint. */
  constructor(
    message: string,
    readonly commandPath: string,
    readonly showUsage: boolean = true,
  ) {
    super(message);
  }
}

/** The server refused the request (invalid argument, failed precondition, exhausted) or failed it. */
export class JobError extends CliError {
  readonly code = 'WN_CLI_JOB';
}

/** The server could not be reached at all. */
export class ConnectionError extends CliError {
  readonly code = 'WN_CLI_CONNECTION';
}

/** Mutual TLS failed: bad material, a certificate the other side does not trust, a name mismatch. */
export class TlsError extends CliError {
  readonly code = 'WN_CLI_TLS';
}

/** A file the CLI needs (TLS material, the config file) is missing, unreadable or malformed. */
export class FileError extends CliError {
  readonly code = 'WN_CLI_FILE';
}

export class NotFoundError extends CliError {
  readonly code = 'WN_CLI_NOT_FOUND';
}

export class PermissionError extends CliError {
  readonly code = 'WN_CLI_PERMISSION';
}

/** Ctrl-C: the call in flight was cancelled. */
export class InterruptedError extends CliError {
  readonly code = 'WN_CLI_INTERRUPTED';
  constructor() {
    super('interrupted');
  }
}
