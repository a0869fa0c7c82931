/** Tail's life cycle on the server side: client cancel, normal end, concurrent readers, deadlines. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { JobStatus, JobType } from '../../src/gen/workernator/v1/workernator.js';
import { assertStatus, eventually, GrpcCode, outputContains } from './helpers/assertions.js';
import { collectTail } from './helpers/rpc-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const command = (script: string) => ({
  type: JobType.JOB_TYPE_COMMAND,
  args: {
    kind: { $case: 'command' as const, value: { executable: '/bin/sh', args: ['-c', script], env: {} } },
  },
});

describe('Tail streams', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('follows a running job to its end, and several readers get the same bytes', async () => {
    const job = await t.as.alice.start(command('for i in 1 2 3 4 5; do echo line $i; sleep 0.05; done'));
    const [a, b, c] = await Promise.all([
      t.as.alice.tail({ id: job.id }),
      t.as.admin.tail({ id: job.id }),
      t.as.vera.tail({ id: job.id }),
    ]);
    assert.equal(a.data.toString(), 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    assert.deepEqual(b.data, a.data);
    assert.deepEqual(c.data, a.data);
    assert.equal((await t.as.alice.status(job.id)).status, JobStatus.JOB_STATUS_COMPLETE);
  });

  it('ends the server-side stream when the client cancels', async () => {
    const job = await t.as.alice.start(command('echo hello; sleep 30'));
    const stream = t.as.alice.tailStream({ id: job.id });
    stream.on('error', () => {}); // CANCELLED, by this test
    const [first] = (await once(stream, 'data')) as [{ data: Buffer }];
    assert.equal(first.data.toString(), 'hello\n');
    assert.equal(t.server.liveTails, 1);
    stream.cancel();
    await eventually(() => t.server.liveTails === 0, 5_000, 'the live tail count to return to 0');
    await eventually(
      () =>
        t.logs.some(
          (l) =>
            l.method === '/workernator.v1.JobService/Tail' && l.jobId === job.id && l.code === 'CANCELLED',
        ),
      5_000,
      'the CANCELLED log line',
    );
    await t.as.alice.stop({ id: job.id, gracePeriod: { seconds: 0n, nanos: 0 } });
  });

  it("is not disturbed by grpc-js's 'cancelled' after a normal end", async () => {
    const job = await t.as.alice.start(command('echo once'));
    for (let i = 0; i < 20; i++) {
      assert.equal((await t.as.alice.tail({ id: job.id })).data.toString(), 'once\n');
    }
    await eventually(() => t.server.liveTails === 0);
    const lines = t.logs.filter((l) => l.method === '/workernator.v1.JobService/Tail' && l.jobId === job.id);
    assert.equal(lines.length, 20);
    assert.ok(lines.every((l) => l.code === 'OK'));
  });

  it('ends a follower when its deadline passes, and releases it', async () => {
    const job = await t.as.alice.start(command('sleep 30'));
    await assertStatus(
      collectTail(t.as.alice.tailStream({ id: job.id }, { deadline: Date.now() + 300 })),
      GrpcCode.DEADLINE_EXCEEDED,
    );
    await eventually(() => t.server.liveTails === 0);
    await t.as.alice.stop({ id: job.id, gracePeriod: { seconds: 0n, nanos: 0 } });
  });

  it('Stop past its deadline answers DEADLINE_EXCEEDED, and the stop still completes', async () => {
    const job = await t.as.alice.start(command("trap '' TERM; echo ready; sleep 30"));
    await outputContains(t.as.alice, job.id, 'ready');
    await assertStatus(
      t.as.alice.stop({ id: job.id, gracePeriod: { seconds: 1n, nanos: 0 } }, { deadline: Date.now() + 200 }),
      GrpcCode.DEADLINE_EXCEEDED,
    );
    assert.equal((await t.as.alice.status(job.id)).status, JobStatus.JOB_STATUS_RUNNING);
    await eventually(
      () => t.logs.some((l) => l.method === '/workernator.v1.JobService/Stop' && l.jobId === job.id),
      5_000,
      'the Stop log line',
    );
    const stopLine = t.logs.find((l) => l.method === '/workernator.v1.JobService/Stop' && l.jobId === job.id);
    assert.equal(stopLine?.code, 'DEADLINE_EXCEEDED');
    await t.as.alice.tail({ id: job.id });
    const final = await t.as.alice.status(job.id);
    assert.equal(final.status, JobStatus.JOB_STATUS_STOPPED);
    assert.equal(final.signal, 'SIGKILL');
  });
});
