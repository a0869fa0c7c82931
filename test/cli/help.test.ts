/** Help and usage errors against the seed's texts (in-process: no server is involved). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkArgs } from '../../src/cli/program.js';
import { runInProcess } from './helpers/run-in-process.js';
import {
  FIB_ARG_ERROR_HEAD,
  JOBS_COMMANDS,
  JOBS_HELP_HEAD,
  JOBS_HELP_TAIL,
  ROOT_HELP_HEAD,
  ROOT_HELP_TAIL,
  START_COMMANDS,
} from './helpers/seed-texts.js';

describe('help', () => {
  it('`workernator` alone prints the seed help, with a real description and no --toggle', async () => {
    const { code, stdout, stderr } = await runInProcess([]);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.ok(stdout.startsWith(ROOT_HELP_HEAD), stdout);
    assert.ok(stdout.endsWith(ROOT_HELP_TAIL), stdout);
    assert.match(stdout, /^ {2}jobs {8}Start, stop, inspect, tail and list jobs$/m);
    assert.match(stdout, /^Flags:\n {2}-h, --help {6}help for workernator\n/m);
    assert.doesNotMatch(stdout, /brief description|toggle/i);
  });

  it('`workernator --help` and `workernator help` print the same', async () => {
    const plain = await runInProcess([]);
    assert.equal((await runInProcess(['--help'])).stdout, plain.stdout);
    assert.equal((await runInProcess(['help'])).stdout, plain.stdout);
  });

  it('`workernator jobs` lists start, status, stop, tail and list', async () => {
    const { code, stdout } = await runInProcess(['jobs']);
    assert.equal(code, 0);
    assert.ok(
      stdout.startsWith(`${JOBS_HELP_HEAD}  list        List jobs, newest first\n${JOBS_COMMANDS}`),
      stdout,
    );
    assert.ok(stdout.endsWith(JOBS_HELP_TAIL), stdout);
    for (const flag of [
      '--host host:port',
      '--ca file',
      '--cert file',
      '--key file',
      '-o, --output format',
    ]) {
      assert.ok(stdout.includes(flag), flag);
    }
    assert.equal((await runInProcess(['help', 'jobs'])).stdout, stdout);
  });

  it('`workernator jobs start` lists the job types', async () => {
    const { code, stdout } = await runInProcess(['jobs', 'start']);
    assert.equal(code, 0);
    assert.ok(stdout.includes(START_COMMANDS), stdout);
    for (const flag of [
      '--cpu quantity',
      '--memory size',
      '--io-read rate',
      '--io-write rate',
      '--pids count',
      '--network mode',
      '--root',
    ]) {
      assert.ok(stdout.includes(flag), flag);
    }
  });

  it('every job type describes its arguments', async () => {
    const expected: Record<string, RegExp> = {
      fib: /position is a whole number[\s\S]*Usage:\n {2}workernator jobs start fib position \[flags\]\n/,
      eval: /Each name=value[\s\S]*Usage:\n {2}workernator jobs start eval expression \[name=value\.\.\.\] \[flags\]\n/,
      noop: /takes no arguments[\s\S]*Usage:\n {2}workernator jobs start noop \[flags\]\n/,
      wait: /seconds is a whole number[\s\S]*Usage:\n {2}workernator jobs start wait seconds url \[flags\]\n/,
      command:
        /passed to the program untouched[\s\S]*Usage:\n {2}workernator jobs start command -- executable \[args\.\.\.\] \[flags\]\n/,
    };
    for (const [name, pattern] of Object.entries(expected)) {
      const { code, stdout } = await runInProcess(['jobs', 'start', name, '--help']);
      assert.equal(code, 0, name);
      assert.match(stdout, pattern, name);
    }
  });
});

describe('usage errors', () => {
  it('a missing argument prints the error once, then the usage, and exits 1', async () => {
    const { code, stdout, stderr, api } = await runInProcess(['jobs', 'start', 'fib']);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.ok(stderr.startsWith(FIB_ARG_ERROR_HEAD), stderr);
    assert.equal(stderr.match(/Error:/g)?.length, 1);
    assert.match(stderr, /^Flags:\n {2}-h, --help {3}help for fib$/m);
    assert.equal(api.started.length, 0);
  });

  it('too many arguments, unknown flags and unknown commands use cobra wording', async () => {
    const extra = await runInProcess(['jobs', 'status', 'A', 'B']);
    assert.equal(extra.code, 1);
    assert.match(
      extra.stderr,
      /^Error: accepts 1 arg\(s\), received 2\nUsage:\n {2}workernator jobs status job-id \[flags\]\n/,
    );

    const flag = await runInProcess(['jobs', 'status', 'A', '--bogus']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /^Error: unknown flag: --bogus\nUsage:/);

    const command = await runInProcess(['jobs', 'frobnicate']);
    assert.equal(command.code, 1);
    assert.equal(
      command.stderr,
      `Error: unknown command "frobnicate" for "workernator jobs"\nRun 'workernator jobs --help' for usage.\n`,
    );

    const topic = await runInProcess(['help', 'nope']);
    assert.deepEqual(
      [topic.code, topic.stdout, topic.stderr],
      [1, '', `Error: unknown help topic "nope"\nRun 'workernator --help' for usage.\n`],
    );

    const missing = await runInProcess(['jobs', 'stop', 'A', '--grace']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error: flag needs an argument: --grace\n/);
  });

  it('a bad flag value names the flag and the value', async () => {
    const { code, stderr } = await runInProcess(['jobs', 'start', 'fib', '3', '--memory', '64XB']);
    assert.equal(code, 1);
    assert.match(stderr, /^Error: invalid argument "64XB" for "--memory" flag: expected a size/);
    const output = await runInProcess(['jobs', 'list', '-o', 'yaml']);
    assert.match(output.stderr, /^Error: invalid argument "yaml" for "--output" flag: expected text or json/);
  });

  it('checkArgs speaks cobra', () => {
    assert.equal(checkArgs({ exactly: 1 }, 1), undefined);
    assert.equal(checkArgs({ exactly: 1 }, 0), 'accepts 1 arg(s), received 0');
    assert.equal(checkArgs({ min: 1 }, 0), 'requires at least 1 arg(s), only received 0');
    assert.equal(checkArgs({ min: 1, max: 2 }, 3), 'accepts between 1 and 2 arg(s), received 3');
    assert.equal(checkArgs({ min: 1 }, 5), undefined);
  });
});
