import type { Writable } from 'node:stream';
import type { JobArguments, JobType } from '../types.js';

/** The arguments type of one job type. */
export type ArgumentsOf<T extends JobType> = Extract<JobArguments, { type: T }>;

/**
 * What the one who started a built-in job allowed it beyond its arguments. The job manager passes it
 * to the job's process in the environment (GRANT_ENV); nothing is granted by default.
 */
export interface RunGrants {
  /** A wait-then-send job may connect to addresses that are not public (loopback, private, ...). */
  readonly privateDestinations: boolean;
}

export const NO_GRANTS: RunGrants = { privateDestinations: false };

/** The environment variables that carry RunGrants to a built-in job's process ("1" grants). */
export const GRANT_ENV = {
  privateDestinations: 'WORKERNATOR_ALLOW_PRIVATE_DESTINATIONS',
} as const satisfies Record<keyof RunGrants, string>;

/**
 * One job type: its name, how its arguments are checked, and (for built-in types) the code that
 * runs inside the job's own process, never in the server.
 */
export interface JobDefinition<T extends JobType> {
  readonly type: T;
  /** The name people see: "Fibonacci", "Expression Evaluator". */
  readonly displayName: string;
  /**
   * Checks arguments and returns them normalized; throws InvalidArgumentError naming the field and
   * what is wrong. Pure and cheap: the server calls it for every Start request.
   */
  validate(args: ArgumentsOf<T>): ArgumentsOf<T>;
  /**
   * The job itself, for built-in types: writes its output to `out` and resolves to the process exit
   * code. Runs only in the job's process (see runner.ts). Absent for `command`. `grants` defaults
   * to NO_GRANTS.
   */
  run?(args: ArgumentsOf<T>, out: Writable, grants?: RunGrants): Promise<number>;
}
