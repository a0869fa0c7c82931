/**
 * Names of the API's enums, for people (`Fibonacci`, `Complete`) and for JSON (`fibonacci`,
 * `complete`, the core library's names). The tables are `satisfies Record<enum, ...>`, so a value
 * added to the proto does not compile until it is named here.
 */
import { JobStatus, JobType, NetworkMode } from '../../gen/workernator/v1/workernator.js';

interface Names {
  /** As the seed's texts show it: "Started 'Fibonacci' job", "Status: Complete". */
  readonly display: string;
  /** Stable, for scripts: the names of the core library's types. */
  readonly json: string;
}

export const JOB_TYPE_NAMES = {
  [JobType.JOB_TYPE_NOOP]: { display: 'Noop', json: 'noop' },
  [JobType.JOB_TYPE_FIBONACCI]: { display: 'Fibonacci', json: 'fibonacci' },
  [JobType.JOB_TYPE_EXPRESSION_EVALUATOR]: { display: 'Expression Evaluator', json: 'expression-evaluator' },
  [JobType.JOB_TYPE_WAIT_THEN_SEND]: { display: 'Wait Then Send', json: 'wait-then-send' },
  [JobType.JOB_TYPE_COMMAND]: { display: 'Command', json: 'command' },
  [JobType.UNRECOGNIZED]: { display: 'Unknown', json: 'unknown' },
} as const satisfies Record<JobType, Names>;

export const JOB_STATUS_NAMES = {
  [JobStatus.JOB_STATUS_UNSPECIFIED]: { display: 'Unknown', json: 'unknown' },
  [JobStatus.JOB_STATUS_PENDING]: { display: 'Pending', json: 'pending' },
  [JobStatus.JOB_STATUS_RUNNING]: { display: 'Running', json: 'running' },
  [JobStatus.JOB_STATUS_COMPLETE]: { display: 'Complete', json: 'complete' },
  [JobStatus.JOB_STATUS_FAILED]: { display: 'Failed', json: 'failed' },
  [JobStatus.JOB_STATUS_STOPPED]: { display: 'Stopped', json: 'stopped' },
  [JobStatus.JOB_STATUS_LOST]: { display: 'Lost', json: 'lost' },
  [JobStatus.UNRECOGNIZED]: { display: 'Unknown', json: 'unknown' },
} as const satisfies Record<JobStatus, Names>;

export const NETWORK_NAMES = {
  [NetworkMode.NETWORK_MODE_UNSPECIFIED]: { display: "the job type's default", json: 'default' },
  [NetworkMode.NETWORK_MODE_ISOLATED]: { display: 'isolated (loopback only)', json: 'isolated' },
  [NetworkMode.NETWORK_MODE_HOST]: { display: "the host's network", json: 'host' },
  [NetworkMode.UNRECOGNIZED]: { display: 'unknown', json: 'unknown' },
} as const satisfies Record<NetworkMode, Names>;

export function jobTypeName(type: JobType): Names {
  return JOB_TYPE_NAMES[type] ?? JOB_TYPE_NAMES[JobType.UNRECOGNIZED];
}

export function jobStatusName(status: JobStatus): Names {
  return JOB_STATUS_NAMES[status] ?? JOB_STATUS_NAMES[JobStatus.UNRECOGNIZED];
}

export function networkName(mode: NetworkMode): Names {
  return NETWORK_NAMES[mode] ?? NETWORK_NAMES[NetworkMode.UNRECOGNIZED];
}

/** The statuses `list --status` accepts, by their JSON names. */
export const STATUS_BY_JSON_NAME: ReadonlyMap<string, JobStatus> = new Map(
  [
    JobStatus.JOB_STATUS_PENDING,
    JobStatus.JOB_STATUS_RUNNING,
    JobStatus.JOB_STATUS_COMPLETE,
    JobStatus.JOB_STATUS_FAILED,
    JobStatus.JOB_STATUS_STOPPED,
    JobStatus.JOB_STATUS_LOST,
  ].map((status) => [JOB_STATUS_NAMES[status].json, status]),
);

const ENDED = new Set([
  JobStatus.JOB_STATUS_COMPLETE,
  JobStatus.JOB_STATUS_FAILED,
  JobStatus.JOB_STATUS_STOPPED,
  JobStatus.JOB_STATUS_LOST,
]);

export function hasEnded(status: JobStatus): boolean {
  return ENDED.has(status);
}
