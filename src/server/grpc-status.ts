/**
 * The one place where an error becomes a gRPC status. Every layer's errors carry a literal `code`;
 * the switch below is exhaustive over the union of them, so a new error class added to
 * `KnownError` does not compile until it is mapped here. Anything else is INTERNAL with a generic
 * message: its details go to the log only, never to the client.
 */
import { status as GrpcCode } from '@grpc/grpc-js';
import type {
  InvalidArgumentError,
  InvalidJobIdError,
  JobNotFoundError,
  JobStartError,
  ManagerClosedError,
  ResourceExhaustedError,
} from '../core/errors.js';
import { WorkernatorError } from '../core/errors.js';
import type {
  DuplicateJobIdError,
  InvalidCursorError,
  JobStoreError,
  UnsupportedStoreVersionError,
} from '../core/store/errors.js';
import type {
  PkiExistsError,
  PkiIdentityError,
  PkiInvalidArgumentError,
  PkiInvalidMaterialError,
  PkiInvalidNameError,
  PkiMissingError,
  PkiUnreadableError,
} from '../pki/errors.js';
import type {
  CgroupSetupError,
  CgroupSweepError,
  InvalidLimitError,
  LimitAboveCapError,
  SandboxUnavailableError,
} from '../sandbox/errors.js';
import type {
  ClientDeniedError,
  ConfigError,
  PermissionDeniedError,
  ServerShuttingDownError,
  ServerStartError,
  UnknownServiceError,
} from './errors.js';

type KnownError =
  | JobNotFoundError
  | InvalidJobIdError
  | InvalidArgumentError
  | JobStartError
  | ResourceExhaustedError
  | ManagerClosedError
  | JobStoreError
  | DuplicateJobIdError
  | UnsupportedStoreVersionError
  | InvalidCursorError
  | CgroupSetupError
  | CgroupSweepError
  | LimitAboveCapError
  | InvalidLimitError
  | SandboxUnavailableError
  | PkiExistsError
  | PkiMissingError
  | PkiUnreadableError
  | PkiInvalidMaterialError
  | PkiInvalidNameError
  | PkiInvalidArgumentError
  | PkiIdentityError
  | PermissionDeniedError
  | ClientDeniedError
  | ServerShuttingDownError
  | ConfigError
  | UnknownServiceError
  | ServerStartError;

export interface RpcStatus {
  readonly code: GrpcCode;
  /** The message the client sees. */
  readonly details: string;
  /** True when `details` is a generic text and the error itself belongs in the log at error level. */
  readonly internal: boolean;
}

const INTERNAL_DETAILS = 'internal error; the server log has the details';

const clientError = (code: GrpcCode, details: string): RpcStatus => ({ code, details, internal: false });
const internalError = (details = INTERNAL_DETAILS): RpcStatus => ({
  code: GrpcCode.INTERNAL,
  details,
  internal: true,
});

/**
 * The job's own executable or working directory could not be used (the launcher says so with
 * `causedByRequest`, e.g. for the sandbox's `exec`, `open-exec` and `chdir` steps): that is the state
 * of the host, which the caller can fix or choose differently, so it is FAILED_PRECONDITION with the
 * launcher's message ("executable not found: /usr/bin/nope"). Anything else is the sandbox failing:
 * UNAVAILABLE, with the step named and the details only in the log, since they describe the host's
 * cgroups and paths.
 */
function startStatus(error: JobStartError): RpcStatus {
  if (error.causedByRequest) return clientError(GrpcCode.FAILED_PRECONDITION, error.message);
  const step = error.step === undefined ? '' : ` (step: ${error.step})`;
  return {
    code: GrpcCode.UNAVAILABLE,
    details: `the sandbox could not start the job${step}; the server log has the details`,
    internal: true,
  };
}

export function toGrpcStatus(error: unknown): RpcStatus {
  if (!(error instanceof WorkernatorError)) return internalError();
  const known = error as KnownError;
  switch (known.code) {
    case 'WN_INVALID_JOB_ID':
    case 'WN_INVALID_ARGUMENT':
    case 'WN_LIMIT_ABOVE_CAP':
    case 'WN_INVALID_LIMIT':
    case 'WN_INVALID_CURSOR':
    case 'WN_PKI_INVALID_NAME':
    case 'WN_PKI_INVALID_ARGUMENT':
      return clientError(GrpcCode.INVALID_ARGUMENT, known.message);
    case 'WN_JOB_NOT_FOUND':
    case 'WN_UNKNOWN_SERVICE':
      return clientError(GrpcCode.NOT_FOUND, known.message);
    case 'WN_JOB_START':
      return startStatus(known);
    case 'WN_RESOURCE_EXHAUSTED':
      return clientError(GrpcCode.RESOURCE_EXHAUSTED, known.message);
    case 'WN_MANAGER_CLOSED':
    case 'WN_SERVER_SHUTTING_DOWN':
      return clientError(GrpcCode.UNAVAILABLE, known.message);
    case 'WN_SANDBOX_UNAVAILABLE':
    case 'WN_CGROUP_SETUP':
    case 'WN_CGROUP_SWEEP':
      return {
        code: GrpcCode.UNAVAILABLE,
        details: 'the sandbox is unavailable; the server log has the details',
        internal: true,
      };
    case 'WN_PKI_BAD_IDENTITY':
    case 'WN_CLIENT_DENIED':
      return clientError(GrpcCode.UNAUTHENTICATED, known.message);
    case 'WN_PERMISSION_DENIED':
      return clientError(GrpcCode.PERMISSION_DENIED, known.message);
    case 'WN_JOB_STORE':
    case 'WN_DUPLICATE_JOB_ID':
    case 'WN_STORE_VERSION':
    case 'WN_PKI_EXISTS':
    case 'WN_PKI_MISSING':
    case 'WN_PKI_UNREADABLE':
    case 'WN_PKI_INVALID_MATERIAL':
    case 'WN_CONFIG_INVALID':
    case 'WN_SERVER_START':
      return internalError();
    default:
      return unmapped(known);
  }
}

/** Reached only by an error whose class is not in KnownError; the `never` makes a missing case a compile error. */
function unmapped(error: never): RpcStatus {
  void error;
  return internalError();
}
