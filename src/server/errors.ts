/**
 * Errors of the server layer. Each has a stable literal `code`; `toGrpcStatus` maps them (and every
 * other layer's codes) to a gRPC status in one place.
 */
import { WorkernatorError } from '../core/errors.js';

/** The caller's role lacks the right for this call (a viewer starting a job, a user asking for root). */
export class PermissionDeniedError extends WorkernatorError {
  readonly code = 'WN_PERMISSION_DENIED';
  constructor(
    /** The full gRPC method name, e.g. /workernator.v1.JobService/Start. */
    readonly method: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The client certificate is on the server's deny-list, by serial number or by name. The certificate
 * itself verified; the operator has withdrawn it, so the call is UNAUTHENTICATED like any other
 * credential the server does not accept.
 */
export class ClientDeniedError extends WorkernatorError {
  readonly code = 'WN_CLIENT_DENIED';
  constructor(
    /** What matched: the serial or the name. */
    readonly entry: 'serial' | 'name',
    message: string,
  ) {
    super(message);
  }
}

/** The server is shutting down: it ends live Tail streams and refuses new calls with this. */
export class ServerShuttingDownError extends WorkernatorError {
  readonly code = 'WN_SERVER_SHUTTING_DOWN';
  constructor() {
    super('the server is shutting down; retry against it once it is back');
  }
}

/** Where a setting's value came from, for messages that say what to fix. */
export type SettingSource = 'flag' | 'env' | 'config' | 'default';

/**
 * A setting with a value the server cannot use. The message names the setting as it was written
 * (`--max-limit`, `WORKERNATORD_LISTEN`, `jobMaxima.memory in /etc/workernatord.json`) and what is wrong.
 */
export class ConfigError extends WorkernatorError {
  readonly code = 'WN_CONFIG_INVALID';
  constructor(
    /** The setting's key in the config file, e.g. "listen". */
    readonly setting: string,
    /** How the user wrote it: the flag, the env var, or the config key and file. */
    readonly where: string,
    problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}

/** A health Check for a service this server does not serve (NOT_FOUND, as grpc.health.v1 specifies). */
export class UnknownServiceError extends WorkernatorError {
  readonly code = 'WN_UNKNOWN_SERVICE';
  constructor(readonly service: string) {
    super(`unknown service ${JSON.stringify(service)}`);
  }
}

/** The server cannot start as configured: the sandbox is missing, the address is taken, ... */
export class ServerStartError extends WorkernatorError {
  readonly code = 'WN_SERVER_START';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
