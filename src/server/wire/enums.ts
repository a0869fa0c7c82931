/**
 * Enum tables between the core's string unions and the wire's numeric enums. Each table is checked
 * by `satisfies` against the full set of values on both sides, so a new core status or a new wire
 * enum value does not compile until someone maps it here.
 */
import type { JobStatus, JobType, NetworkMode } from '../../core/types.js';
import {
  JobStatus as WireJobStatus,
  JobType as WireJobType,
  NetworkMode as WireNetworkMode,
  jobStatusToJSON,
  jobTypeToJSON,
} from '../../gen/workernator/v1/workernator.js';
import { InvalidArgumentError } from '../../core/errors.js';

export const JOB_TYPE_TO_WIRE = {
  noop: WireJobType.JOB_TYPE_NOOP,
  fibonacci: WireJobType.JOB_TYPE_FIBONACCI,
  'expression-evaluator': WireJobType.JOB_TYPE_EXPRESSION_EVALUATOR,
  'wait-then-send': WireJobType.JOB_TYPE_WAIT_THEN_SEND,
  command: WireJobType.JOB_TYPE_COMMAND,
} as const satisfies Record<JobType, WireJobType>;

const JOB_TYPE_FROM_WIRE = {
  [WireJobType.JOB_TYPE_NOOP]: 'noop',
  [WireJobType.JOB_TYPE_FIBONACCI]: 'fibonacci',
  [WireJobType.JOB_TYPE_EXPRESSION_EVALUATOR]: 'expression-evaluator',
  [WireJobType.JOB_TYPE_WAIT_THEN_SEND]: 'wait-then-send',
  [WireJobType.JOB_TYPE_COMMAND]: 'command',
} as const satisfies Record<Exclude<WireJobType, WireJobType.UNRECOGNIZED>, JobType>;

export const JOB_STATUS_TO_WIRE = {
  pending: WireJobStatus.JOB_STATUS_PENDING,
  running: WireJobStatus.JOB_STATUS_RUNNING,
  complete: WireJobStatus.JOB_STATUS_COMPLETE,
  failed: WireJobStatus.JOB_STATUS_FAILED,
  stopped: WireJobStatus.JOB_STATUS_STOPPED,
  lost: WireJobStatus.JOB_STATUS_LOST,
} as const satisfies Record<JobStatus, WireJobStatus>;

// UNSPECIFIED is no status at all: a filter that names it is an error, so it has no entry.
const JOB_STATUS_FROM_WIRE = {
  [WireJobStatus.JOB_STATUS_PENDING]: 'pending',
  [WireJobStatus.JOB_STATUS_RUNNING]: 'running',
  [WireJobStatus.JOB_STATUS_COMPLETE]: 'complete',
  [WireJobStatus.JOB_STATUS_FAILED]: 'failed',
  [WireJobStatus.JOB_STATUS_STOPPED]: 'stopped',
  [WireJobStatus.JOB_STATUS_LOST]: 'lost',
} as const satisfies Record<
  Exclude<WireJobStatus, WireJobStatus.UNRECOGNIZED | WireJobStatus.JOB_STATUS_UNSPECIFIED>,
  JobStatus
>;

export const NETWORK_TO_WIRE = {
  isolated: WireNetworkMode.NETWORK_MODE_ISOLATED,
  host: WireNetworkMode.NETWORK_MODE_HOST,
} as const satisfies Record<NetworkMode, WireNetworkMode>;

// UNSPECIFIED means "the job type's default", which the core decides: undefined here.
const NETWORK_FROM_WIRE = {
  [WireNetworkMode.NETWORK_MODE_UNSPECIFIED]: undefined,
  [WireNetworkMode.NETWORK_MODE_ISOLATED]: 'isolated',
  [WireNetworkMode.NETWORK_MODE_HOST]: 'host',
} as const satisfies Record<Exclude<WireNetworkMode, WireNetworkMode.UNRECOGNIZED>, NetworkMode | undefined>;

const MISSING = Symbol('missing');

/** The wire decoder keeps unknown enum numbers as they are; these lookups refuse them by name. */
function lookUp<V>(table: Readonly<Record<number, V>>, value: number): V | typeof MISSING {
  return Object.hasOwn(table, value) ? (table[value] as V) : MISSING;
}

function names(table: object, toName: (value: number) => string): string {
  return Object.keys(table)
    .map((key) => toName(Number(key)))
    .join(', ');
}

export function jobTypeFromWire(value: number): JobType {
  const type = lookUp(JOB_TYPE_FROM_WIRE, value);
  if (type === MISSING) {
    throw new InvalidArgumentError(
      'type',
      `unknown job type ${value}; expected one of ${names(JOB_TYPE_FROM_WIRE, jobTypeToJSON)}`,
    );
  }
  return type;
}

export function jobStatusFromWire(value: number, field: string): JobStatus {
  const status = lookUp(JOB_STATUS_FROM_WIRE, value);
  if (status === MISSING) {
    throw new InvalidArgumentError(
      field,
      `unknown job status ${value === 0 ? 'JOB_STATUS_UNSPECIFIED' : value}; expected one of ${names(JOB_STATUS_FROM_WIRE, jobStatusToJSON)}`,
    );
  }
  return status;
}

/** undefined for NETWORK_MODE_UNSPECIFIED: the job type's default. */
export function networkFromWire(value: number): NetworkMode | undefined {
  const network = lookUp(NETWORK_FROM_WIRE, value);
  if (network === MISSING) {
    throw new InvalidArgumentError(
      'network',
      `unknown network mode ${value}; expected NETWORK_MODE_UNSPECIFIED, NETWORK_MODE_ISOLATED or NETWORK_MODE_HOST`,
    );
  }
  return network;
}

/** The wire name of a job type, for messages: "JOB_TYPE_FIBONACCI". */
export function wireJobTypeName(type: JobType): string {
  return jobTypeToJSON(JOB_TYPE_TO_WIRE[type]);
}
