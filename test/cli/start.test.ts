import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobType, NetworkMode } from '../../src/gen/workernator/v1/workernator.js';
import { runInProcess } from './helpers/run-in-process.js';
import { START_OUTPUT } from './helpers/seed-texts.js';

describe('jobs start', () => {
  it('fib prints the seed lines with the ID', async () => {
    const { code, stdout, stderr, api } = await runInProcess(['jobs', 'start', 'fib', '3']);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.equal(stdout, START_OUTPUT);
    assert.equal(api.started[0]?.type, JobType.JOB_TYPE_FIBONACCI);
    assert.deepEqual(api.started[0]?.args?.kind, { $case: 'fibonacci', value: { position: 3 } });
  });

  it('command passes everything after the executable through untouched', async () => {
    const argv = ['/bin/ls', '-la', '/', '--help', '--', '-o', 'json'];
    const dashed = await runInProcess(['jobs', 'start', 'command', '--', ...argv]);
    const bare = await runInProcess(['jobs', 'start', 'command', ...argv]);
    for (const { code, api } of [dashed, bare]) {
      assert.equal(code, 0);
      assert.deepEqual(api.started[0]?.args?.kind, {
        $case: 'command',
        value: { executable: '/bin/ls', args: argv.slice(1), env: {}, workingDir: '' },
      });
    }
  });

  it('command takes --env and --workdir before the program', async () => {
    const { api } = await runInProcess([
      'jobs',
      'start',
      'command',
      '-e',
      'A=1',
      '--env',
      'B=x=y',
      '-w',
      '/srv',
      '--',
      'env',
    ]);
    assert.deepEqual(api.started[0]?.args?.kind, {
      $case: 'command',
      value: { executable: 'env', args: [], env: { A: '1', B: 'x=y' }, workingDir: '/srv' },
    });
  });

  it('limit flags in human units become the API limits, on start or on the job type', async () => {
    const flags = [
      '--cpu',
      '250m',
      '--memory',
      '64MiB',
      '--io-read',
      '10MB/s',
      '--io-write',
      '10MB/s',
      '--pids',
      '64',
      '--io-read-iops',
      '100',
      '--io-write-iops',
      '200',
      '--network',
      'host',
      '--root',
    ];
    const before = await runInProcess(['jobs', 'start', ...flags, 'fib', '3']);
    const after = await runInProcess(['jobs', 'start', 'fib', '3', ...flags]);
    for (const { code, api } of [before, after]) {
      assert.equal(code, 0);
      const request = api.started[0];
      assert.deepEqual(request?.limits, {
        cpuMillicores: 250,
        memoryBytes: 67_108_864n,
        ioReadBytesPerSecond: 10_000_000n,
        ioWriteBytesPerSecond: 10_000_000n,
        ioReadIops: 100n,
        ioWriteIops: 200n,
        pids: 64,
      });
      assert.equal(request?.network, NetworkMode.NETWORK_MODE_HOST);
      assert.equal(request?.runAsRoot, true);
    }
    const cores = await runInProcess(['jobs', 'start', 'noop', '--cpu', '0.5']);
    assert.equal(cores.api.started[0]?.limits?.cpuMillicores, 500);
  });

  it('no limit flags leave the limits to the server', async () => {
    const { api } = await runInProcess(['jobs', 'start', 'noop']);
    const limits = api.started[0]?.limits ?? {};
    assert.ok(
      Object.values(limits).every((value) => value === undefined),
      JSON.stringify(limits, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    );
    assert.equal(api.started[0]?.network, NetworkMode.NETWORK_MODE_UNSPECIFIED);
  });

  it('eval and wait parse their arguments', async () => {
    const evaluation = await runInProcess(['jobs', 'start', 'eval', '2 * pi * r ^ 2', 'r=3', 'k=-1.5']);
    assert.deepEqual(evaluation.api.started[0]?.args?.kind, {
      $case: 'expressionEvaluator',
      value: { expression: '2 * pi * r ^ 2', variables: { r: 3, k: -1.5 } },
    });
    assert.match(evaluation.stdout, /^Started 'Expression Evaluator' job, ID: XE38YM\n/);
    const waiting = await runInProcess(['jobs', 'start', 'wait', '2m', 'https://example.com/hook']);
    assert.deepEqual(waiting.api.started[0]?.args?.kind, {
      $case: 'waitThenSend',
      value: { waitSeconds: 120, url: 'https://example.com/hook' },
    });
    const bad = await runInProcess(['jobs', 'start', 'wait', '5', 'ftp://x']);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^Error: invalid argument "ftp:\/\/x" for "url": expected an http or https URL\n/,
    );
    assert.equal(bad.api.started.length, 0);
  });

  it('-o json prints the started Job', async () => {
    const { stdout } = await runInProcess(['jobs', 'start', 'fib', '3', '-o', 'json']);
    assert.equal((JSON.parse(stdout) as { id: string }).id, 'XE38YM');
  });
});
