import type { Writable } from 'node:stream';
import type { JobArguments, JobType } from '../types.js';

/** The arguments type of one job type. */
export type ArgumentsOf<T extends JobType> = Extract<JobArguments, { type: T }>;

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
   * code. Runs only in the job's process (see runner.ts). Absent for `command`.
   */
  run?(args: ArgumentsOf<T>, out: Writable): Promise<number>;
}
