/** `workernator jobs start command -- executable [args...]`: run any program in the sandbox. */
import { JobType } from '../../../gen/workernator/v1/workernator.js';
import { ValueError } from '../../errors.js';
import { startCommand } from './start-job.js';

function parseEnv(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new ValueError('expected NAME=value');
  return [text.slice(0, at), text.slice(at + 1)];
}

export const command = startCommand({
  name: 'command',
  type: JobType.JOB_TYPE_COMMAND,
  summary: 'Run a program with its arguments',
  description: [
    'Run a program with its arguments, confined by the job sandbox.',
    '',
    'executable is an absolute path, or a name looked up in the PATH of --env (or a default PATH).',
    "Everything after it is passed to the program untouched, flags included; put this command's own",
    'flags before it, and "--" before it if it starts with a dash. The program gets only the',
    'environment given with --env, and runs in its own private /tmp unless --workdir says otherwise.',
  ].join('\n'),
  usage: '-- executable [args...]',
  args: { min: 1 },
  passThrough: true,
  options: [
    {
      long: 'env',
      short: 'e',
      value: 'NAME=value',
      description: 'set an environment variable of the program (repeatable)',
      repeatable: true,
    },
    {
      long: 'workdir',
      short: 'w',
      value: 'dir',
      description: 'the directory the program runs in (default: its private /tmp)',
    },
  ],
  examples: [
    '  workernator jobs start command -- /bin/ls -la /',
    '  workernator jobs start command --env LANG=C -- sort /etc/passwd',
  ],
  toArguments: ([executable = '', ...args], values) => ({
    $case: 'command',
    value: {
      executable,
      args,
      env: Object.fromEntries(values.list('env').map((text) => values.arg(text, '--env', parseEnv))),
      workingDir: values.string('workdir') ?? '',
    },
  }),
});
