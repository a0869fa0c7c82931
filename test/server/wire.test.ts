/** The pure wire converters: round trips, enum tables, and the checks at the edge. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { JOB_STATUSES, JOB_TYPES, type Job } from '../../src/core/types.js';
import { JobStatus, JobType, NetworkMode } from '../../src/gen/workernator/v1/workernator.js';
import { argumentsFromWire, argumentsToWire } from '../../src/server/wire/arguments.js';
import {
  JOB_STATUS_TO_WIRE,
  JOB_TYPE_TO_WIRE,
  jobStatusFromWire,
  jobTypeFromWire,
  networkFromWire,
} from '../../src/server/wire/enums.js';
import { jobToWire } from '../../src/server/wire/job.js';
import { limitsFromWire, limitsToWire } from '../../src/server/wire/limits.js';
import { durationToMs, microsToDuration, safeNumber } from '../../src/server/wire/numbers.js';
import { listRequestFromWire, MAX_PAGE_SIZE, tailRequestFromWire } from '../../src/server/wire/requests.js';

const invalid = (field: string, message?: RegExp) => (error: unknown) =>
  error instanceof InvalidArgumentError &&
  error.field === field &&
  (message === undefined || message.test(error.message));

describe('wire enums', () => {
  it('maps every core job type and status to a distinct wire value and back', () => {
    assert.equal(new Set(JOB_TYPES.map((t) => JOB_TYPE_TO_WIRE[t])).size, JOB_TYPES.length);
    for (const type of JOB_TYPES) assert.equal(jobTypeFromWire(JOB_TYPE_TO_WIRE[type]), type);
    for (const status of JOB_STATUSES)
      assert.equal(jobStatusFromWire(JOB_STATUS_TO_WIRE[status], 's'), status);
  });

  it('refuses unknown numbers and UNSPECIFIED statuses, naming the field', () => {
    assert.throws(
      () => jobTypeFromWire(42),
      invalid('type', /unknown job type 42; expected one of JOB_TYPE_NOOP/),
    );
    assert.throws(() => jobTypeFromWire(JobType.UNRECOGNIZED), invalid('type'));
    assert.throws(
      () => jobStatusFromWire(JobStatus.JOB_STATUS_UNSPECIFIED, 'statuses[0]'),
      invalid('statuses[0]'),
    );
    assert.equal(networkFromWire(NetworkMode.NETWORK_MODE_UNSPECIFIED), undefined);
    assert.equal(networkFromWire(NetworkMode.NETWORK_MODE_HOST), 'host');
    assert.throws(() => networkFromWire(3), invalid('network'));
  });
});

describe('wire arguments', () => {
  it('round-trips every job type', () => {
    const samples = [
      { type: 'noop' },
      { type: 'fibonacci', position: 10 },
      { type: 'expression-evaluator', expression: 'x + 1', variables: { x: 2 } },
      { type: 'wait-then-send', url: 'https://example.com/', waitSeconds: 3 },
      { type: 'command', executable: '/bin/echo', args: ['a'], env: { A: 'b' }, workingDir: '/tmp' },
      { type: 'command', executable: 'ls', args: [], env: {} },
    ] as const;
    for (const args of samples) assert.deepEqual(argumentsFromWire(args.type, argumentsToWire(args)), args);
  });

  it('refuses a oneof case of another type, and a missing one except for noop', () => {
    assert.throws(
      () =>
        argumentsFromWire('expression-evaluator', { kind: { $case: 'fibonacci', value: { position: 1 } } }),
      invalid('args', /the arguments are for fibonacci but type is JOB_TYPE_EXPRESSION_EVALUATOR/),
    );
    assert.throws(() => argumentsFromWire('command', undefined), invalid('args', /needs args.command/));
    assert.deepEqual(argumentsFromWire('noop', undefined), { type: 'noop' });
  });
});

describe('wire numbers and limits', () => {
  it('refuses uint64 values beyond 2^53 - 1', () => {
    assert.equal(safeNumber(2n ** 53n - 1n, 'x'), Number.MAX_SAFE_INTEGER);
    assert.throws(() => safeNumber(2n ** 53n, 'offset'), invalid('offset', /too large/));
    assert.throws(() => limitsFromWire({ memoryBytes: 2n ** 64n - 1n }), invalid('limits.memory_bytes'));
  });

  it('round-trips limits, leaving unset ones absent', () => {
    const limits = { cpuMillicores: 250, memoryBytes: 64 * 1024 ** 2, pids: 10 };
    assert.deepEqual(limitsFromWire(limitsToWire(limits)), limits);
    assert.deepEqual(limitsFromWire(undefined), {});
  });

  it('reads durations to the millisecond, within bounds', () => {
    assert.equal(durationToMs({ seconds: 2n, nanos: 500_000_000 }, 'g', 3_600_000), 2500);
    assert.equal(durationToMs({ seconds: 0n, nanos: 1 }, 'g', 3_600_000), 1);
    assert.equal(durationToMs({ seconds: 3600n, nanos: 0 }, 'g', 3_600_000), 3_600_000);
    assert.throws(
      () => durationToMs({ seconds: 3600n, nanos: 1_000_000 }, 'g', 3_600_000),
      invalid('g', /at most 1 h/),
    );
    assert.throws(() => durationToMs({ seconds: 0n, nanos: -1 }, 'g', 1000), invalid('g', /negative/));
    assert.throws(
      () => durationToMs({ seconds: 0n, nanos: 1e9 }, 'g', 1000),
      invalid('g', /not a valid duration/),
    );
    assert.deepEqual(microsToDuration(1_500_001), { seconds: 1n, nanos: 500_001_000 });
  });
});

describe('wire requests', () => {
  it('Tail: offset and last_lines are exclusive; zero means unset', () => {
    assert.deepEqual(tailRequestFromWire({ id: 'XE38YM', offset: 0n, lastLines: 0, noFollow: false }), {
      id: 'XE38YM',
      follow: true,
    });
    assert.throws(
      () => tailRequestFromWire({ id: 'XE38YM', offset: 1n, lastLines: 1, noFollow: false }),
      invalid('last_lines'),
    );
  });

  it('List: default and capped page size, deduplicated statuses', () => {
    const base = { statuses: [], owner: '', pageSize: 0, pageToken: '' };
    assert.equal(listRequestFromWire(base).pageSize, 100);
    assert.equal(listRequestFromWire({ ...base, pageSize: 5000 }).pageSize, MAX_PAGE_SIZE);
    const statuses = [JobStatus.JOB_STATUS_RUNNING, JobStatus.JOB_STATUS_RUNNING];
    assert.deepEqual(listRequestFromWire({ ...base, statuses }).statuses, ['running']);
  });
});

describe('jobToWire', () => {
  it('converts every field', () => {
    const job: Job = {
      id: 'XE38YM',
      type: 'command',
      args: { type: 'command', executable: '/bin/true', args: [], env: {} },
      owner: 'alice',
      status: 'failed',
      createdAt: 1_000,
      startedAt: 2_000,
      finishedAt: 3_000,
      exitCode: 3,
      error: 'exit code 3',
      limits: { memoryBytes: 1024 },
      usage: { cpuTimeMicros: 2_000_000, peakMemoryBytes: 4096, oomKilled: false },
      isolation: { network: 'isolated', runAsRoot: false },
      outputBytes: 12,
    };
    const wire = jobToWire(job);
    assert.equal(wire.status, JobStatus.JOB_STATUS_FAILED);
    assert.equal(wire.type, JobType.JOB_TYPE_COMMAND);
    assert.deepEqual(wire.createdAt, new Date(1_000));
    assert.equal(wire.exitCode, 3);
    assert.equal(wire.signal, '');
    assert.equal(wire.limits?.memoryBytes, 1024n);
    assert.deepEqual(wire.usage, {
      cpuTime: { seconds: 2n, nanos: 0 },
      peakMemoryBytes: 4096n,
      oomKilled: false,
    });
    assert.equal(wire.network, NetworkMode.NETWORK_MODE_ISOLATED);
    assert.equal(wire.outputBytes, 12n);
  });
});
