/**
 * The command tree under `workernator`: `jobs` and its verbs, `start` and its job types, and
 * `completion`. The connection and output flags are persistent flags of `jobs`, so every command
 * below it takes them too (the seed: "set via flags on the 'jobs' command and all its sub-commands").
 */
import { DEFAULT_HOST, ENV } from '../connection/settings.js';
import type { GroupNode, OptionSpec } from '../spec.js';
import { completion } from './completion.js';
import { list } from './list.js';
import { command } from './start/command.js';
import { evaluate } from './start/eval.js';
import { fib } from './start/fib.js';
import { LIMIT_OPTIONS } from './start/limit-options.js';
import { noop } from './start/noop.js';
import { wait } from './start/wait.js';
import { status } from './status.js';
import { stop } from './stop.js';
import { tail } from './tail.js';

export const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  {
    long: 'host',
    value: 'host:port',
    description: `the server's address [${ENV.host}]`,
    defaultText: DEFAULT_HOST,
  },
  {
    long: 'ca',
    value: 'file',
    description: `the CA certificate that signed the server's certificate [${ENV.ca}]`,
    complete: 'file',
  },
  { long: 'cert', value: 'file', description: `your client certificate [${ENV.cert}]`, complete: 'file' },
  {
    long: 'key',
    value: 'file',
    description: `the key of your client certificate [${ENV.key}]`,
    complete: 'file',
  },
  {
    long: 'config',
    value: 'file',
    description: `a JSON config file with host, ca, cert, key [${ENV.config}] (default ~/.config/workernator/config.json)`,
    complete: 'file',
  },
  {
    long: 'output',
    short: 'o',
    value: 'format',
    description: 'text, or json for scripts',
    defaultText: 'text',
    complete: ['text', 'json'],
  },
];

export const start: GroupNode = {
  kind: 'group',
  name: 'start',
  summary: 'Start a job in the server',
  description: [
    'Start a job in the server. Each job type is a sub-command with its own arguments; the job runs',
    "confined by the limits given here (or the server's defaults), and this command prints its ID.",
  ].join('\n'),
  persistentOptions: LIMIT_OPTIONS,
  children: [evaluate, fib, noop, wait, command],
};

export const jobs: GroupNode = {
  kind: 'group',
  name: 'jobs',
  summary: 'Start, stop, inspect, tail and list jobs',
  description: [
    'This sub-command provides the ability to manage jobs, including',
    'starting, stopping, getting the status, and viewing the output.',
  ].join('\n'),
  persistentOptions: CONNECTION_OPTIONS,
  children: [start, status, stop, tail, list],
};

export const root: GroupNode = {
  kind: 'group',
  name: 'workernator',
  summary: 'The Workernator CLI client',
  description: [
    'Workernator is a job-runner library, server, and CLI client used for',
    "long-running tasks you don't want to run as part of your core service.",
    '',
    'This is the CLI client application, which allows you to start jobs,',
    'stop jobs, get the status of jobs, and tail the output of any job.',
  ].join('\n'),
  children: [completion, jobs],
};
