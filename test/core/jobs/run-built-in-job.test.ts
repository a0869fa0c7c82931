import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { GRANT_ENV } from '../../../src/core/jobs/job-definition.js';
import { main, readGrants, RUNNER_EXIT_CODES } from '../../../src/core/jobs/run-built-in-job.js';
import { TestHttpServer } from './http-test-server.js';
import { CapturedOutput, withoutTimestamps } from './job-output.js';

async function runMain(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stdout = new CapturedOutput();
  const stderr = new CapturedOutput();
  const exitCode = await main(argv, { stdout, stderr }, env);
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

describe('runner grants', () => {
  it('reads them from the environment: only "1" grants', () => {
    assert.deepEqual(readGrants({}), { privateDestinations: false });
    assert.deepEqual(readGrants({ [GRANT_ENV.privateDestinations]: '1' }), { privateDestinations: true });
    for (const value of ['', '0', 'true', 'yes', ' 1']) {
      assert.deepEqual(readGrants({ [GRANT_ENV.privateDestinations]: value }), {
        privateDestinations: false,
      });
    }
  });

  it('hands them to the job: wait-then-send reaches loopback only when granted', async () => {
    const server = await TestHttpServer.start((response) => response.end());
    after(() => server.close());
    const argv = argvFor(JSON.stringify({ type: 'wait-then-send', url: server.origin, waitSeconds: 0 }));
    const refused = await runMain(argv);
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stdout, /\[ERROR\] refused to connect to 127\.0\.0\.1, a loopback address/);
    assert.equal(server.received.length, 0);
    const granted = await runMain(argv, { [GRANT_ENV.privateDestinations]: '1' });
    assert.equal(granted.exitCode, 0);
    assert.equal(server.received.length, 1);
  });
});
