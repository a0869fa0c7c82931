/**
 * Errors of the PKI. Each has a stable literal `code`; the message names the file or the value at
 * fault and, where there is one, the command that fixes it.
 */
import { WorkernatorError } from '../core/errors.js';

export abstract class PkiError extends WorkernatorError {}

/** A file the PKI would write already exists, and `force` was not given. */
export class PkiExistsError extends PkiError {
  readonly code = 'WN_PKI_EXISTS';
  constructor(readonly path: string) {
    super(`${path} already exists; refusing to overwrite it (use --force to replace it)`);
  }
}

/** A certificate or key the PKI needs is not there. */
export class PkiMissingError extends PkiError {
  readonly code = 'WN_PKI_MISSING';
  constructor(
    readonly path: string,
    what: string,
    hint: string,
    options?: ErrorOptions,
  ) {
    super(`${what} ${path} does not exist; ${hint}`, options);
  }
}

/** A certificate or key file exists but cannot be read (permissions, a directory, an I/O error). */
export class PkiUnreadableError extends PkiError {
  readonly code = 'WN_PKI_UNREADABLE';
  constructor(
    readonly path: string,
    what: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`cannot read ${what} ${path}: ${reason}`, options);
  }
}

/** A file that is not the PEM it should be, a key that does not match its certificate, a CA that is not a CA. */
export class PkiInvalidMaterialError extends PkiError {
  readonly code = 'WN_PKI_INVALID_MATERIAL';
  constructor(
    readonly path: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(path === undefined ? message : `${path}: ${message}`, options);
  }
}

/** A client name that cannot be a file name and a certificate CN. */
export class PkiInvalidNameError extends PkiError {
  readonly code = 'WN_PKI_INVALID_NAME';
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(
      `invalid name ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)}: ${reason}`,
    );
  }
}

/** Any other bad option: a role, a lifetime, a server name. `field` names the option. */
export class PkiInvalidArgumentError extends PkiError {
  readonly code = 'WN_PKI_INVALID_ARGUMENT';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * A verified peer certificate that does not carry a usable identity. The server answers
 * UNAUTHENTICATED with this message: it tells the holder what is wrong with their certificate.
 */
export class PkiIdentityError extends PkiError {
  readonly code = 'WN_PKI_BAD_IDENTITY';
}
