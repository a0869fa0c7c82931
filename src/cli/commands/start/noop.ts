/** `workernator jobs start noop`: the job that does nothing. */
import { JobType } from '../../../gen/workernator/v1/workernator.js';
import { startCommand } from './start-job.js';

export const noop = startCommand({
  name: 'noop',
  type: JobType.JOB_TYPE_NOOP,
  summary: 'A job that does nothing',
  description: [
    'A job that does nothing and prints nothing. It takes no arguments.',
    '',
    'It is useful to check that the server runs jobs, and that your certificate may start them.',
  ].join('\n'),
  usage: '',
  args: { exactly: 0 },
  toArguments: () => ({ $case: 'noop', value: {} }),
});
