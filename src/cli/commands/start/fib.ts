/** `workernator jobs start fib position`: the Fibonacci job. */
import { JobType } from '../../../gen/workernator/v1/workernator.js';
import { parseCount } from '../../units.js';
import { startCommand } from './start-job.js';

export const fib = startCommand({
  name: 'fib',
  type: JobType.JOB_TYPE_FIBONACCI,
  summary: 'Calculate the value of a position in the Fibonacci sequence',
  description: [
    'Calculate the value of a position in the Fibonacci sequence.',
    '',
    'position is a whole number from 1: position 1 is 0, position 2 is 1, position 3 is 1,',
    'position 10 is 34. The server caps how large it may be.',
  ].join('\n'),
  usage: 'position',
  args: { exactly: 1 },
  examples: ['  workernator jobs start fib 3', '  workernator jobs start fib 90 --cpu 250m'],
  toArguments: ([position = ''], values) => ({
    $case: 'fibonacci',
    value: { position: values.arg(position, 'position', (text) => parseCount(text)) },
  }),
});
