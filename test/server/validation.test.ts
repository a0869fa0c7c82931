/** Bad input gets INVALID_ARGUMENT with a message a person can act on, and changes nothing. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NetworkMode } from '../../src/gen/workernator/v1/workernator.js';
import { JobStatus, JobType } from '../../src/gen/workernator/v1/workernator.js';
import { assertStatus, GrpcCode } from './helpers/assertions.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const fib = (position: number) => ({
  type: JobType.JOB_TYPE_FIBONACCI,
  args: { kind: { $case: 'fibonacci' as const, value: { position } } },
});

describe('validation at the edge', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      // No defaults: the config is built directly, without load-config's lowering of the built-in
      // defaults (512 MiB) to these caps.
      config: { jobDefaults: {}, jobMaxima: { memoryBytes: 256 * 1024 ** 2, cpuMillicores: 1000 } },
    });
  });
  after(() => t.close());

  for (const [name, id] of [
    ['a path', '../x'],
    ['the empty string', ''],
    ['1 KB', 'A'.repeat(1024)],
    ['lower case', 'xe38ym'],
  ] as const) {
    it(`refuses a job ID that is ${name} in Status, Stop and Tail`, async () => {
      const status = await assertStatus(t.as.admin.status(id), GrpcCode.INVALID_ARGUMENT, /invalid job ID/);
      assert.ok(status.details.length < 300, 'the message does not echo a huge ID');
      await assertStatus(t.as.admin.stop({ id }), GrpcCode.INVALID_ARGUMENT, /invalid job ID/);
      await assertStatus(t.as.admin.tail({ id }), GrpcCode.INVALID_ARGUMENT, /invalid job ID/);
    });
  }

  it('refuses arguments of another type, naming both', async () => {
    await assertStatus(
      t.as.alice.start({ type: JobType.JOB_TYPE_EXPRESSION_EVALUATOR, args: fib(3).args }),
      GrpcCode.INVALID_ARGUMENT,
      /^args: the arguments are for fibonacci but type is JOB_TYPE_EXPRESSION_EVALUATOR$/,
    );
    await assertStatus(
      t.as.alice.start({ type: JobType.JOB_TYPE_FIBONACCI }),
      GrpcCode.INVALID_ARGUMENT,
      /needs args.fibonacci/,
    );
  });

  it("refuses values the job type's checks refuse", async () => {
    await assertStatus(t.as.alice.start(fib(0)), GrpcCode.INVALID_ARGUMENT, /position/);
    await assertStatus(
      t.as.alice.start({
        type: JobType.JOB_TYPE_WAIT_THEN_SEND,
        args: { kind: { $case: 'waitThenSend', value: { url: 'ftp://x', waitSeconds: 1 } } },
      }),
      GrpcCode.INVALID_ARGUMENT,
      /url: must use http or https/,
    );
  });

  it('refuses unknown enum values by name', async () => {
    await assertStatus(
      t.as.alice.start({ type: 99 as JobType }),
      GrpcCode.INVALID_ARGUMENT,
      /type: unknown job type 99/,
    );
    await assertStatus(
      t.as.alice.start({ ...fib(3), network: 7 as NetworkMode }),
      GrpcCode.INVALID_ARGUMENT,
      /network: unknown network mode 7/,
    );
    await assertStatus(
      t.as.alice.list({ statuses: [JobStatus.JOB_STATUS_UNSPECIFIED] }),
      GrpcCode.INVALID_ARGUMENT,
      /statuses\[0\]: unknown job status JOB_STATUS_UNSPECIFIED/,
    );
  });

  it('refuses limits above the cap, zero limits, and uint64 values beyond 2^53', async () => {
    await assertStatus(
      t.as.alice.start({ ...fib(3), limits: { memoryBytes: 512n * 1024n ** 2n } }),
      GrpcCode.INVALID_ARGUMENT,
      /memory 512 MiB is above the server's cap of 256 MiB/,
    );
    await assertStatus(
      t.as.alice.start({ ...fib(3), limits: { cpuMillicores: 0 } }),
      GrpcCode.INVALID_ARGUMENT,
      /cpu must be a positive integer/,
    );
    await assertStatus(
      t.as.alice.start({ ...fib(3), limits: { ioReadIops: 2n ** 60n } }),
      GrpcCode.INVALID_ARGUMENT,
      /limits.io_read_iops: \d+ is too large/,
    );
    const job = await t.as.alice.start({ ...fib(3), limits: { memoryBytes: 64n * 1024n ** 2n } });
    assert.equal(job.limits?.memoryBytes, 64n * 1024n ** 2n);
    // A limit the request leaves unset gets the cap.
    assert.equal(job.limits?.cpuMillicores, 1000);
  });

  it('refuses a grace period that is negative, malformed or over an hour', async () => {
    const job = await t.as.alice.start(fib(3));
    await assertStatus(
      t.as.alice.stop({ id: job.id, gracePeriod: { seconds: -1n, nanos: 0 } }),
      GrpcCode.INVALID_ARGUMENT,
      /grace_period: must not be negative/,
    );
    await assertStatus(
      t.as.alice.stop({ id: job.id, gracePeriod: { seconds: 3601n, nanos: 0 } }),
      GrpcCode.INVALID_ARGUMENT,
      /grace_period: must be at most 1 h/,
    );
    await assertStatus(
      t.as.alice.stop({ id: job.id, gracePeriod: { seconds: 1n, nanos: -5 } }),
      GrpcCode.INVALID_ARGUMENT,
      /grace_period: not a valid duration/,
    );
  });

  it('refuses Tail with both offset and last_lines, or an offset beyond 2^53', async () => {
    const job = await t.as.alice.start(fib(3));
    await assertStatus(
      t.as.alice.tail({ id: job.id, offset: 5n, lastLines: 2 }),
      GrpcCode.INVALID_ARGUMENT,
      /last_lines: cannot be combined with offset/,
    );
    await assertStatus(
      t.as.alice.tail({ id: job.id, offset: 2n ** 63n }),
      GrpcCode.INVALID_ARGUMENT,
      /offset: .* too large/,
    );
  });

  it('refuses a page token it did not issue and an owner that is no name; caps the page size', async () => {
    await assertStatus(
      t.as.admin.list({ pageToken: 'not-a-token' }),
      GrpcCode.INVALID_ARGUMENT,
      /invalid list cursor/,
    );
    await assertStatus(t.as.admin.list({ owner: '../etc' }), GrpcCode.INVALID_ARGUMENT, /^owner: /);
    const page = await t.as.admin.list({ pageSize: 1_000_000 });
    assert.ok(page.jobs.length <= 1000);
  });

  it('answers FAILED_PRECONDITION for an executable that is not there', async () => {
    await assertStatus(
      t.as.admin.start({
        type: JobType.JOB_TYPE_COMMAND,
        args: { kind: { $case: 'command', value: { executable: '/nonexistent/tool', args: [], env: {} } } },
      }),
      GrpcCode.FAILED_PRECONDITION,
      /executable not found: \/nonexistent\/tool/,
    );
  });
});
