import type { NoopArguments } from '../types.js';
import { requireRecord, requireType } from './argument-checks.js';
import type { JobDefinition } from './job-definition.js';

/**
 * The zero value of the wire's JobType: a request that forgot its type starts this, which does
 * nothing and prints nothing, rather than some job nobody asked for.
 */
export const noopJob: JobDefinition<'noop'> = {
  type: 'noop',
  displayName: 'Noop',
  validate(args: NoopArguments): NoopArguments {
    return { type: requireType(requireRecord(args, 'args'), 'noop') };
  },
  run(): Promise<number> {
    return Promise.resolve(0);
  },
};
