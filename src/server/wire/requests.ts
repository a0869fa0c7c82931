/**
 * Request messages as the core's options, with every field checked at the edge: a bad value is an
 * InvalidArgumentError (or InvalidJobIdError) naming the field, and nothing has been touched yet.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { assertValidJobId } from '../../core/ids.js';
import { validateJobArguments } from '../../core/jobs/index.js';
import type { JobArguments, JobStatus, NetworkMode, ResourceLimits } from '../../core/types.js';
import type {
  JobListRequest,
  JobStartRequest,
  JobStopRequest,
  JobTailRequest,
} from '../../gen/workernator/v1/workernator.js';
import { validateClientName } from '../../pki/names.js';
import { argumentsFromWire } from './arguments.js';
import { jobStatusFromWire, jobTypeFromWire, networkFromWire } from './enums.js';
import { limitsFromWire } from './limits.js';
import { durationToMs, safeNumber } from './numbers.js';

/** The longest grace period a Stop may ask for: a longer one would hold a call (and a job) for hours. */
export const MAX_GRACE_MS = 60 * 60 * 1000;
export const DEFAULT_PAGE_SIZE = 100;
/** Larger page sizes are lowered to this (the proto says the server caps it). */
export const MAX_PAGE_SIZE = 1000;

export interface StartRequest {
  /** Validated and normalized by the job type's own checks. */
  readonly args: JobArguments;
  /** As requested; the server's defaults and maxima are applied later. */
  readonly limits: ResourceLimits;
  /** Absent: the job type's default. */
  readonly network?: NetworkMode;
  readonly runAsRoot: boolean;
}

export function startRequestFromWire(request: JobStartRequest): StartRequest {
  const type = jobTypeFromWire(request.type);
  const args = validateJobArguments(argumentsFromWire(type, request.args));
  const network = networkFromWire(request.network);
  return {
    args,
    limits: limitsFromWire(request.limits),
    ...(network === undefined ? {} : { network }),
    runAsRoot: request.runAsRoot,
  };
}

export interface StopRequest {
  readonly id: string;
  /** Absent: the server's default grace period. */
  readonly graceMs?: number;
}

export function stopRequestFromWire(request: JobStopRequest): StopRequest {
  const id = assertValidJobId(request.id);
  if (request.gracePeriod === undefined) return { id };
  return { id, graceMs: durationToMs(request.gracePeriod, 'grace_period', MAX_GRACE_MS) };
}

export interface TailRequest {
  readonly id: string;
  readonly offset?: number;
  readonly lastLines?: number;
  readonly follow: boolean;
}

export function tailRequestFromWire(request: JobTailRequest): TailRequest {
  const id = assertValidJobId(request.id);
  const offset = safeNumber(request.offset, 'offset');
  if (offset !== 0 && request.lastLines !== 0) {
    throw new InvalidArgumentError('last_lines', 'cannot be combined with offset: set one of them');
  }
  return {
    id,
    follow: !request.noFollow,
    ...(offset !== 0 ? { offset } : {}),
    ...(request.lastLines !== 0 ? { lastLines: request.lastLines } : {}),
  };
}

export interface ListRequest {
  readonly statuses: readonly JobStatus[];
  /** Absent: every owner the caller may see. */
  readonly owner?: string;
  readonly pageSize: number;
  readonly cursor?: string;
}

export function listRequestFromWire(request: JobListRequest): ListRequest {
  const statuses = [
    ...new Set(request.statuses.map((status, i) => jobStatusFromWire(status, `statuses[${i}]`))),
  ];
  let owner: string | undefined;
  if (request.owner !== '') {
    try {
      owner = validateClientName(request.owner);
    } catch (error) {
      throw new InvalidArgumentError('owner', (error as Error).message);
    }
  }
  const pageSize = request.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(request.pageSize, MAX_PAGE_SIZE);
  return {
    statuses,
    pageSize,
    ...(owner === undefined ? {} : { owner }),
    ...(request.pageToken === '' ? {} : { cursor: request.pageToken }),
  };
}
