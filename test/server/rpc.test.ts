/** Each RPC's happy path, over real mutual TLS against an in-process server. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobStatus, JobType, NetworkMode } from '../../src/gen/workernator/v1/workernator.js';
import { withoutTimestamps } from '../helpers/manager.js';
import { outputContains } from './helpers/assertions.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const FIB_3 = `[JOB] Starting job 'Fibonacci'
[FIB] Calculating the value of the 3rd value in the Fibonacci sequence
[FIB] Using lookup; value is '1'.
[RESULT] 1
[JOB] Complete
`;

describe('JobService over mutual TLS', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('starts fib 3, and Tail sends exactly the seed design lines (timestamps aside)', async () => {
    const job = await t.as.alice.start({
      type: JobType.JOB_TYPE_FIBONACCI,
      args: { kind: { $case: 'fibonacci', value: { position: 3 } } },
    });
    assert.match(job.id, /^[A-HJ-NP-Z2-9]{6}$/);
    assert.equal(job.owner, 'alice');
    assert.equal(job.type, JobType.JOB_TYPE_FIBONACCI);
    assert.equal(job.network, NetworkMode.NETWORK_MODE_ISOLATED);
    const tail = await t.as.alice.tail({ id: job.id });
    assert.equal(withoutTimestamps(tail.data.toString()), FIB_3);
    assert.match(tail.data.toString(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[JOB\]/);

    const status = await t.as.alice.status(job.id);
    assert.equal(status.status, JobStatus.JOB_STATUS_COMPLETE);
    assert.equal(status.exitCode, 0);
    assert.equal(status.outputBytes, BigInt(tail.data.length));
    assert.ok(status.createdAt instanceof Date && status.finishedAt instanceof Date);
    assert.deepEqual(status.args, { kind: { $case: 'fibonacci', value: { position: 3 } } });
  });

  it('tails from an offset and from the last N lines, and without following', async () => {
    const job = await t.as.alice.start({
      type: JobType.JOB_TYPE_FIBONACCI,
      args: { kind: { $case: 'fibonacci', value: { position: 3 } } },
    });
    const full = (await t.as.alice.tail({ id: job.id })).data;
    assert.deepEqual((await t.as.alice.tail({ id: job.id, offset: 10n })).data, full.subarray(10));
    assert.equal(
      withoutTimestamps((await t.as.alice.tail({ id: job.id, lastLines: 2 })).data.toString()),
      '[RESULT] 1\n[JOB] Complete\n',
    );
    assert.deepEqual((await t.as.alice.tail({ id: job.id, noFollow: true })).data, full);
  });

  it('passes binary output through untouched', async () => {
    const job = await t.as.admin.start({
      type: JobType.JOB_TYPE_COMMAND,
      args: {
        kind: {
          $case: 'command',
          value: { executable: '/usr/bin/printf', args: ['\\000\\377\\r\\n\\001'], env: {} },
        },
      },
    });
    const tail = await t.as.admin.tail({ id: job.id });
    assert.deepEqual(tail.data, Buffer.from([0, 0xff, 0x0d, 0x0a, 0x01]));
  });

  it('lists newest first, a page at a time', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.as.bob.start({ type: JobType.JOB_TYPE_NOOP })).id);
    const first = await t.as.bob.list({ pageSize: 2 });
    assert.deepEqual(
      first.jobs.map((j) => j.id),
      [ids[4], ids[3]],
    );
    assert.notEqual(first.nextPageToken, '');
    const second = await t.as.bob.list({ pageSize: 2, pageToken: first.nextPageToken });
    assert.deepEqual(
      second.jobs.map((j) => j.id),
      [ids[2], ids[1]],
    );
    const third = await t.as.bob.list({ pageSize: 2, pageToken: second.nextPageToken });
    assert.deepEqual(
      third.jobs.map((j) => j.id),
      [ids[0]],
    );
    assert.equal(third.nextPageToken, '');
    const complete = await t.as.admin.list({ owner: 'bob', statuses: [JobStatus.JOB_STATUS_RUNNING] });
    assert.ok(complete.jobs.every((j) => j.owner === 'bob' && j.status === JobStatus.JOB_STATUS_RUNNING));
  });

  it('stops a running job with its grace period and answers once it has ended', async () => {
    const job = await t.as.alice.start({
      type: JobType.JOB_TYPE_COMMAND,
      // Ignores SIGTERM, so only the kill after the grace period ends it.
      args: {
        kind: {
          $case: 'command',
          value: { executable: '/bin/sh', args: ['-c', "trap '' TERM; echo ready; sleep 60"], env: {} },
        },
      },
    });
    assert.equal(job.status, JobStatus.JOB_STATUS_RUNNING);
    await outputContains(t.as.alice, job.id, 'ready');
    const began = Date.now();
    const stopped = await t.as.alice.stop({ id: job.id, gracePeriod: { seconds: 0n, nanos: 300_000_000 } });
    const took = Date.now() - began;
    assert.equal(stopped.status, JobStatus.JOB_STATUS_STOPPED);
    assert.equal(stopped.signal, 'SIGKILL');
    assert.ok(took >= 290 && took < 5_000, `stop took ${took} ms`);
    // Stopping an ended job returns it unchanged.
    assert.equal((await t.as.alice.stop({ id: job.id })).status, JobStatus.JOB_STATUS_STOPPED);
  });

  it('logs one line per RPC with identity, method, job ID, code and duration, and no key or certificate', async () => {
    const job = await t.as.vera.list({});
    void job;
    const line = t.logs.findLast(
      (l) => l.msg === 'rpc' && l.method === '/workernator.v1.JobService/List' && l.identity === 'vera',
    );
    assert.ok(line !== undefined);
    assert.equal(line.role, 'viewer');
    assert.equal(line.code, 'OK');
    assert.equal(typeof line.durationMs, 'number');
    const start = t.logs.find((l) => l.msg === 'rpc' && l.method === '/workernator.v1.JobService/Start');
    assert.match(String(start?.jobId), /^[A-HJ-NP-Z2-9]{6}$/);
    const all = JSON.stringify(t.logs);
    assert.doesNotMatch(all, /BEGIN|PRIVATE KEY|CERTIFICATE/);
  });
});
