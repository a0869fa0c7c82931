import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main, RUNNER_EXIT_CODES } from '../../../src/core/jobs/run-built-in-job.js';
import { CapturedOutput, withoutTimestamps } from './job-output.js';

async function runMain(argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stdout = new CapturedOutput();
  const stderr = new CapturedOutput();
  const exitCode = await main(argv, { stdout, stderr });
  return { exitCode, stdout: stdout.text, stderr: stderr.text };
}

const argvFor = (json: string): string[] => ['/usr/bin/node', '/opt/workernator/dist/job-runner.mjs', json];

describe('runner main', () => {
  it('runs the job given as JSON in the last argument', async () => {
    const { exitCode, stdout, stderr } = await runMain([
      '/usr/bin/node',
      '-',
      '{"type":"fibonacci","position":5}',
    ]);
    assert.equal(exitCode, 0);
    assert.equal(stderr, '');
    assert.deepEqual(withoutTimestamps(stdout).slice(2, 4), [
      "[FIB] Using lookup; value is '3'.",
      '[RESULT] 3',
    ]);
  });

  it("returns the job's own exit code", async () => {
    const { exitCode, stdout } = await runMain(argvFor('{"type":"expression-evaluator","expression":"1/0"}'));
    assert.equal(exitCode, 1);
    assert.match(stdout, /\[ERROR\] division by zero in 1 \/ 0\n.*\[JOB\] Failed\n$/);
  });

  it('prints nothing for noop', async () => {
    assert.deepEqual(await runMain(argvFor('{"type":"noop"}')), { exitCode: 0, stdout: '', stderr: '' });
  });

  const badInputs: [string, string[], RegExp][] = [
    [
      'no arguments',
      ['/usr/bin/node', 'job-runner.mjs'],
      /^job-runner: usage: job-runner '<job arguments as JSON>'\n$/,
    ],
    ['bad JSON', argvFor('{"type":'), /^job-runner: the job arguments are not valid JSON: .+\n$/],
    [
      'JSON that is not an object',
      argvFor('[1]'),
      /^job-runner: invalid job arguments: args: must be an object/,
    ],
    [
      'an unknown type',
      argvFor('{"type":"shell"}'),
      /^job-runner: invalid job arguments: type: must be one of/,
    ],
    [
      'invalid arguments',
      argvFor('{"type":"fibonacci","position":0}'),
      /^job-runner: invalid job arguments: position: must be an integer from 1 to 10000000, got 0\n$/,
    ],
    [
      'an expression the whitelist refuses',
      argvFor(
        '{"type":"expression-evaluator","expression":"constructor.constructor(\\"return process\\")()"}',
      ),
      /^job-runner: invalid job arguments: expression: /,
    ],
    [
      'a command job',
      argvFor('{"type":"command","executable":"/bin/true"}'),
      /^job-runner: 'command' jobs are not built in/,
    ],
  ];
  for (const [what, argv, message] of badInputs) {
    it(`refuses ${what} with one line on stderr and exit 2`, async () => {
      const { exitCode, stdout, stderr } = await runMain(argv);
      assert.equal(exitCode, RUNNER_EXIT_CODES.badInput);
      assert.equal(exitCode, 2);
      assert.equal(stdout, '');
      assert.match(stderr, message);
      assert.equal(stderr.split('\n').length, 2, 'exactly one line');
    });
  }

  it('keeps a multi-line parser message on one line', async () => {
    const { stderr } = await runMain(argvFor('{\n"type":\n'));
    assert.equal(stderr.split('\n').length, 2);
  });
});
