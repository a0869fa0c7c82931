/**
 * grpc-js errors become CLI errors here, and only here. A ServiceError's `details` for a failed
 * connection holds the socket or TLS error text ("connect ECONNREFUSED 127.0.0.1:50051"); it is
 * turned into one sentence that says what to check.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  ConnectionError,
  JobError,
  NotFoundError,
  PermissionError,
  TlsError,
  type CliError,
} from './errors.js';

export interface CallContext {
  readonly host: string;
  readonly jobId: string | undefined;
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

// The OpenSSL and Node texts that mean the TLS handshake (not the network) failed.
const TLS_PATTERN =
  /certificate|SSL|TLS|tlsv1|alert|handshake|altnames|self[- ]signed|unable to verify|ERR_TLS|ERR_SSL/i;

/** Why a connection failed, from the socket error text grpc-js passes on. */
function connectionFailure(details: string, host: string): CliError {
  const at = `the server at ${host}`;
  if (/ECONNREFUSED/.test(details)) {
    return new ConnectionError(`cannot reach ${at}: connection refused — is workernatord running?`);
  }
  if (/ENOTFOUND|EAI_AGAIN|resolution failed/i.test(details)) {
    return new ConnectionError(`cannot reach ${at}: the host name does not resolve — check --host`);
  }
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/.test(details)) {
    return new ConnectionError(`cannot reach ${at}: no route or no answer — check --host and the network`);
  }
  if (/ECONNRESET|Failed to connect|Connection dropped|socket hang up|EPIPE/i.test(details)) {
    // With TLS 1.3 the server checks the client's certificate after the client's side of the
    // handshake is done; a refusal then reaches grpc-js only as a reset or a failed connection.
    return new TlsError(
      `${at} closed the connection during the TLS handshake; it most likely does not accept this client certificate — check --cert and --key (a certificate signed by the server's client CA)`,
    );
  }
  if (/altnames|does not match/i.test(details)) {
    return new TlsError(
      `TLS with ${at} failed: the server's certificate is not valid for that name — use a name it was issued for (--host)`,
    );
  }
  if (/unable to verify|self[- ]signed|unable to get (local )?issuer/i.test(details)) {
    return new TlsError(
      `TLS with ${at} failed: its certificate is not signed by the CA in --ca (${lastReason(details)}) — pass the server CA certificate of that server`,
    );
  }
  if (TLS_PATTERN.test(details)) {
    return new TlsError(
      `TLS with ${at} failed (${lastReason(details)}) — check --ca (the CA that signed the server's certificate) and --cert/--key (a client certificate the server's client CA signed)`,
    );
  }
  return new ConnectionError(`cannot reach ${at}: ${lastReason(details)}`);
}

/**
 * grpc-js wraps the cause: "No connection established. Last error: Error: <cause> (<time>).
 * Resolution note: <note>"; keep the cause.
 */
function lastReason(details: string): string {
  const reason = details
    .replace(/^.*Last error:\s*/s, '')
    .replace(/\s*Resolution note:.*$/s, '')
    .replace(/\s*\(\d{4}-\d\d-\d\dT[^)]*\)/, '')
    .replace(/^Error:\s*/, '')
    .replace(/\s+/g, ' ')
    .replace(/\.$/, '')
    .trim();
  return reason || 'no details';
}

export function translateGrpcError(error: unknown, context: CallContext): Error {
  if (!isServiceError(error)) return error instanceof Error ? error : new Error(String(error));
  const details = error.details || error.message;
  switch (error.code) {
    case GrpcStatus.UNAVAILABLE:
      return connectionFailure(details, context.host);
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new ConnectionError(`the server at ${context.host} did not answer in time`);
    case GrpcStatus.UNAUTHENTICATED:
      return new TlsError(
        `the server did not accept this client's certificate: ${details} — check --cert and --key`,
      );
    case GrpcStatus.NOT_FOUND:
      return new NotFoundError(context.jobId !== undefined ? `no job ${context.jobId}` : details);
    case GrpcStatus.PERMISSION_DENIED:
      return new PermissionError(`permission denied: ${details}`);
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.FAILED_PRECONDITION:
    case GrpcStatus.OUT_OF_RANGE:
    case GrpcStatus.ALREADY_EXISTS:
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return new JobError(details);
    case GrpcStatus.UNIMPLEMENTED:
      return new JobError(
        `the server at ${context.host} does not support this call (is it an older workernatord?)`,
      );
    default:
      return new JobError(
        `the server failed the request: ${details} (${GrpcStatus[error.code] ?? error.code})`,
      );
  }
}
