/** `workernator jobs start wait seconds url`: the Wait Then Send job. */
import { JobType } from '../../../gen/workernator/v1/workernator.js';
import { parseDuration } from '../../duration.js';
import { ValueError } from '../../errors.js';
import { parseNonNegative } from '../../units.js';
import { startCommand } from './start-job.js';

/** Whole seconds, as a number ("5") or a duration ("5s", "2m"). */
function parseSeconds(text: string): number {
  if (/^\d+$/.test(text.trim())) return parseNonNegative(text, 2 ** 32 - 1);
  const ms = parseDuration(text);
  if (ms % 1000 !== 0) throw new ValueError('must be whole seconds');
  return ms / 1000;
}

function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValueError('expected an http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ValueError('expected an http or https URL');
  return text;
}

export const wait = startCommand({
  name: 'wait',
  type: JobType.JOB_TYPE_WAIT_THEN_SEND,
  summary: 'Wait for a set number of seconds before sending an empty HTTP POST request to a URL',
  description: [
    'Wait for a set number of seconds before sending an empty HTTP POST request to a URL.',
    '',
    'seconds is a whole number (5) or a duration (90s, 2m). url is an http or https URL; the server',
    'may only allow some. The job runs with the network, which it needs, unless --network says otherwise.',
  ].join('\n'),
  usage: 'seconds url',
  args: { exactly: 2 },
  examples: ['  workernator jobs start wait 5 https://example.com/hook'],
  toArguments: ([seconds = '', url = ''], values) => ({
    $case: 'waitThenSend',
    value: {
      waitSeconds: values.arg(seconds, 'seconds', parseSeconds),
      url: values.arg(url, 'url', parseUrl),
    },
  }),
});
