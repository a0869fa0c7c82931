import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError } from '../../src/cli/errors.js';
import { JobStatus, JobType, NetworkMode } from '../../src/gen/workernator/v1/workernator.js';
import { FakeApi, seedJob } from './helpers/fake-api.js';
import { runInProcess } from './helpers/run-in-process.js';
import { STATUS_BLOCK, STATUS_PROGRESS } from './helpers/seed-texts.js';

describe('jobs status', () => {
  it('prints the seed block; the progress goes to stderr only on a terminal', async () => {
    const tty = await runInProcess(['jobs', 'status', 'XE38YM'], { stderrIsTty: true });
    assert.equal(tty.code, 0);
    assert.equal(tty.stderr, STATUS_PROGRESS);
    assert.ok(tty.stdout.startsWith(STATUS_BLOCK), tty.stdout);

    const piped = await runInProcess(['jobs', 'status', 'XE38YM']);
    assert.equal(piped.stderr, '');
    assert.equal(piped.stdout, tty.stdout);
  });

  it('adds exit code, signal, error, limits and usage when the job has them', async () => {
    const api = new FakeApi();
    api.job = seedJob({
      status: JobStatus.JOB_STATUS_FAILED,
      exitCode: undefined,
      signal: 'SIGKILL',
      error: 'killed: out of memory (limit 64 MiB)',
      limits: {
        cpuMillicores: 250,
        memoryBytes: 64n * 1024n * 1024n,
        pids: 64,
        ioReadBytesPerSecond: 10_485_760n,
      },
      usage: {
        cpuTime: { seconds: 2n, nanos: 500_000_000 },
        peakMemoryBytes: 64n * 1024n * 1024n,
        oomKilled: true,
      },
      network: NetworkMode.NETWORK_MODE_HOST,
      outputBytes: 2048n,
    });
    const { stdout } = await runInProcess(['jobs', 'status', 'XE38YM'], { api });
    assert.equal(
      stdout.slice(stdout.indexOf('Status:')),
      [
        'Status:     Failed',
        'Started:    2022-07-07 16:34:03',
        'Finished:   2022-07-07 16:34:04',
        'Duration:   1 second',
        'Signal:     SIGKILL',
        'Error:      killed: out of memory (limit 64 MiB)',
        'Owner:      admin',
        "Network:    the host's network",
        'Limits:',
        '  CPU:      250m (0.25 cores)',
        '  Memory:   64 MiB',
        '  IO read:  10 MiB/s',
        '  PIDs:     64',
        'Usage:',
        '  CPU time: 2 seconds',
        '  Memory:   64 MiB at peak',
        "  OOM:      a process was killed by the kernel's OOM killer",
        'Output:     2 KiB',
        '',
      ].join('\n'),
    );
  });

  it('shows each job type its own arguments', async () => {
    const cases = [
      {
        job: seedJob({
          type: JobType.JOB_TYPE_EXPRESSION_EVALUATOR,
          args: {
            kind: {
              $case: 'expressionEvaluator',
              value: { expression: '2 * pi * r ^ 2', variables: { r: 3 } },
            },
          },
        }),
        lines: [
          'Job XE38YM: Expression Evaluator',
          'Arguments:',
          '  Expression: 2 * pi * r ^ 2',
          '  Variables: r=3',
        ],
      },
      {
        job: seedJob({
          type: JobType.JOB_TYPE_WAIT_THEN_SEND,
          args: {
            kind: { $case: 'waitThenSend', value: { url: 'https://example.com/x', waitSeconds: 125 } },
          },
        }),
        lines: [
          'Job XE38YM: Wait Then Send',
          'Arguments:',
          '  URL:      https://example.com/x',
          '  Wait:     2 minutes 5 seconds',
        ],
      },
      {
        job: seedJob({
          type: JobType.JOB_TYPE_COMMAND,
          args: {
            kind: {
              $case: 'command',
              value: { executable: '/bin/ls', args: ['-la', 'a b'], env: {}, workingDir: '' },
            },
          },
        }),
        lines: ['Job XE38YM: Command', 'Arguments:', "  Command line: /bin/ls -la 'a b'"],
      },
      {
        job: seedJob({ type: JobType.JOB_TYPE_NOOP, args: { kind: { $case: 'noop', value: {} } } }),
        lines: ['Job XE38YM: Noop', 'Arguments:', '  (none)'],
      },
    ];
    for (const { job, lines } of cases) {
      const api = new FakeApi();
      api.job = job;
      const { stdout } = await runInProcess(['jobs', 'status', 'XE38YM'], { api });
      assert.ok(stdout.startsWith(`${lines.join('\n')}\nStatus:`), stdout);
    }
  });

  it('a running job has no Finished line and its duration so far', async () => {
    const api = new FakeApi();
    api.job = seedJob({ status: JobStatus.JOB_STATUS_RUNNING, finishedAt: undefined });
    const { stdout } = await runInProcess(['jobs', 'status', 'XE38YM'], {
      api,
      now: new Date(2022, 6, 7, 16, 36, 8),
    });
    assert.match(
      stdout,
      /^Status: {5}Running\nStarted: {4}2022-07-07 16:34:03\nDuration: {3}2 minutes 5 seconds so far\n/m,
    );
    assert.doesNotMatch(stdout, /Finished:/);
  });

  it('an unknown job is one line and exit 3; the progress says FAILED', async () => {
    const api = new FakeApi();
    api.error = new NotFoundError('no job XE38YM');
    const { code, stdout, stderr } = await runInProcess(['jobs', 'status', 'XE38YM'], {
      api,
      stderrIsTty: true,
    });
    assert.equal(code, 3);
    assert.equal(stdout, '');
    assert.equal(stderr, 'Getting info for job XE38YM... FAILED!\nError: no job XE38YM\n');
  });

  it('-o json prints the Job and no progress', async () => {
    const { stdout, stderr } = await runInProcess(['jobs', 'status', 'XE38YM', '-o', 'json'], {
      stderrIsTty: true,
    });
    assert.equal(stderr, '');
    const job = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(job.id, 'XE38YM');
    assert.equal(job.status, 'complete');
    assert.equal(job.type, 'fibonacci');
  });
});
