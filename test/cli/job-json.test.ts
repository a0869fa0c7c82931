import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bigintToJson, jobToJson } from '../../src/cli/render/job-json.js';
import { JobStatus, JobType, NetworkMode } from '../../src/gen/workernator/v1/workernator.js';
import { seedJob } from './helpers/fake-api.js';

describe('jobToJson', () => {
  it('has every key, enums as names, ISO times, bigints as numbers', () => {
    const json = jobToJson(
      seedJob({
        type: JobType.JOB_TYPE_COMMAND,
        args: {
          kind: {
            $case: 'command',
            value: { executable: '/bin/ls', args: ['-l'], env: { A: '1' }, workingDir: '' },
          },
        },
        status: JobStatus.JOB_STATUS_STOPPED,
        createdAt: new Date('2022-07-07T16:34:03.000Z'),
        startedAt: new Date('2022-07-07T16:34:03.500Z'),
        finishedAt: undefined,
        signal: 'SIGTERM',
        limits: { memoryBytes: 64n, cpuMillicores: 250 },
        usage: { cpuTime: { seconds: 1n, nanos: 250_000_000 }, peakMemoryBytes: 4096n, oomKilled: false },
        network: NetworkMode.NETWORK_MODE_ISOLATED,
        outputBytes: 12n,
      }),
    );
    assert.deepEqual(json, {
      id: 'XE38YM',
      type: 'command',
      status: 'stopped',
      owner: 'admin',
      args: { executable: '/bin/ls', args: ['-l'], env: { A: '1' }, workingDir: null },
      createdAt: '2022-07-07T16:34:03.000Z',
      startedAt: '2022-07-07T16:34:03.500Z',
      finishedAt: null,
      exitCode: null,
      signal: 'SIGTERM',
      error: null,
      limits: {
        cpuMillicores: 250,
        memoryBytes: 64,
        ioReadBytesPerSecond: null,
        ioWriteBytesPerSecond: null,
        ioReadIops: null,
        ioWriteIops: null,
        pids: null,
      },
      usage: { cpuTimeMs: 1250, peakMemoryBytes: 4096, oomKilled: false },
      network: 'isolated',
      runAsRoot: false,
      outputBytes: 12,
    });
  });

  it('writes a bigint above 2^53 as a string, so it is never rounded', () => {
    assert.equal(bigintToJson(2n ** 53n - 1n), Number.MAX_SAFE_INTEGER);
    assert.equal(bigintToJson(2n ** 64n - 1n), '18446744073709551615');
    assert.equal(bigintToJson(undefined), null);
  });
});
