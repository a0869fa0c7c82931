import { InvalidArgumentError } from '../errors.js';
import { JOB_TYPES, type JobArguments, type JobType } from '../types.js';
import { describeValue, requireRecord } from './argument-checks.js';
import { commandJob } from './command.js';
import { expressionEvaluatorJob } from './expression-evaluator.js';
import { fibonacciJob } from './fibonacci.js';
import type { ArgumentsOf, JobDefinition } from './job-definition.js';
import { noopJob } from './noop.js';
import { waitThenSendJob } from './wait-then-send.js';

export type { ArgumentsOf, JobDefinition } from './job-definition.js';

/** Every job type's definition; the mapped type makes the compiler refuse a missing one. */
export const jobDefinitions: { readonly [T in JobType]: JobDefinition<T> } = {
  noop: noopJob,
  fibonacci: fibonacciJob,
  'expression-evaluator': expressionEvaluatorJob,
  'wait-then-send': waitThenSendJob,
  command: commandJob,
};

export function isJobType(value: unknown): value is JobType {
  return typeof value === 'string' && (JOB_TYPES as readonly string[]).includes(value);
}

export function getJobDefinition<T extends JobType>(type: T): JobDefinition<T> {
  return jobDefinitions[type];
}

function validateAs<T extends JobType>(type: T, args: ArgumentsOf<T>): ArgumentsOf<T> {
  return jobDefinitions[type].validate(args);
}

/**
 * Checks any job's arguments and returns them normalized (unknown fields dropped), or throws
 * InvalidArgumentError naming the field. Safe on values straight from JSON or the wire.
 */
export function validateJobArguments(args: JobArguments): JobArguments {
  const { type } = requireRecord(args, 'args');
  if (!isJobType(type)) {
    throw new InvalidArgumentError(
      'type',
      `must be one of ${JOB_TYPES.join(', ')}, got ${describeValue(type)}`,
    );
  }
  return validateAs(type, args);
}
