import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { withoutTimestamps } from './job-output.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const runnerSource = join(packageRoot, 'src/core/jobs/runner.ts');

interface Finished {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runProcess(args: readonly string[], stdin?: string): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: packageRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (exitCode) =>
      resolve({
        exitCode,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    child.stdin.end(stdin);
  });
}

const runSource = (json: string): Promise<Finished> => runProcess(['--import', 'tsx', runnerSource, json]);

describe('job runner, run from source as its own process', () => {
  it('runs fib 3 with the seed output and exit 0', async () => {
    const { exitCode, stdout, stderr } = await runSource('{"type":"fibonacci","position":3}');
    assert.equal(stderr, '');
    assert.equal(exitCode, 0);
    assert.deepEqual(withoutTimestamps(stdout), [
      "[JOB] Starting job 'Fibonacci'",
      '[FIB] Calculating the value of the 3rd value in the Fibonacci sequence',
      "[FIB] Using lookup; value is '1'.",
      '[RESULT] 1',
      '[JOB] Complete',
    ]);
  });

  it('writes all of a large result before exiting', async () => {
    const { exitCode, stdout } = await runSource('{"type":"fibonacci","position":300000}');
    assert.equal(exitCode, 0);
    const lines = withoutTimestamps(stdout);
    assert.equal(lines.at(-1), '[JOB] Complete');
    assert.match(lines[2] ?? '', /the value has 62696 digits/);
    assert.equal(lines[3]?.length, '[RESULT] '.length + 62696);
  });

  it('exits 1 when the job fails', async () => {
    const { exitCode, stdout, stderr } = await runSource(
      '{"type":"expression-evaluator","expression":"x / y","variables":{"x":1,"y":0}}',
    );
    assert.equal(stderr, '');
    assert.equal(exitCode, 1);
    assert.deepEqual(withoutTimestamps(stdout), [
      "[JOB] Starting job 'Expression Evaluator'",
      "[EVAL] Evaluating 'x / y' with x = 1, y = 0",
      '[ERROR] division by zero in 1 / 0',
      '[JOB] Failed',
    ]);
  });

  it('exits 2 with one line on stderr for bad JSON', async () => {
    const { exitCode, stdout, stderr } = await runSource('{not json');
    assert.equal(exitCode, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /^job-runner: the job arguments are not valid JSON: [^\n]+\n$/);
  });

  it('exits 2 for a command job', async () => {
    const { exitCode, stderr } = await runSource('{"type":"command","executable":"/bin/true"}');
    assert.equal(exitCode, 2);
    assert.match(stderr, /^job-runner: 'command' jobs are not built in/);
  });
});

describe('job runner, bundled and piped to node on stdin', () => {
  let workDir = '';
  let bundle = '';

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'workernator-runner-'));
    const outfile = join(workDir, 'job-runner.mjs');
    // The same settings as scripts/build.mjs: one self-contained ESM file.
    await build({
      entryPoints: [runnerSource],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
      legalComments: 'none',
    });
    bundle = await readFile(outfile, 'utf8');
  });
  after(() => rm(workDir, { recursive: true, force: true }));

  it('runs fib 3 with the JSON as the last argument', async () => {
    const { exitCode, stdout, stderr } = await runProcess(
      ['--input-type=module', '-', '{"type":"fibonacci","position":3}'],
      bundle,
    );
    assert.equal(stderr, '');
    assert.equal(exitCode, 0);
    assert.deepEqual(withoutTimestamps(stdout).slice(3), ['[RESULT] 1', '[JOB] Complete']);
  });

  it('evaluates with jsep inside the bundle', async () => {
    const { exitCode, stdout } = await runProcess(
      ['--input-type=module', '-', '{"type":"expression-evaluator","expression":"-2^2 + max(1, 2)"}'],
      bundle,
    );
    assert.equal(exitCode, 0);
    assert.deepEqual(withoutTimestamps(stdout).slice(2), ['[RESULT] -2', '[JOB] Complete']);
  });

  it('exits 2 on bad input', async () => {
    const { exitCode, stderr } = await runProcess(['--input-type=module', '-', 'nope'], bundle);
    assert.equal(exitCode, 2);
    assert.match(stderr, /^job-runner: the job arguments are not valid JSON/);
  });
});
