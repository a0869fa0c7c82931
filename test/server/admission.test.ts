/**
 * Admission control with small limits: running jobs per identity and in all, Tail streams per
 * identity, and the request size. Past a limit the answer is RESOURCE_EXHAUSTED naming it; slots come
 * back when jobs end, when a start fails and when a stream closes; concurrent Starts never overshoot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobType } from '../../src/gen/workernator/v1/workernator.js';
import { Admission } from '../../src/server/admission.js';
import { assertStatus, eventually, GrpcCode } from './helpers/assertions.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const command = (script: string, executable = '/bin/sh') => ({
  type: JobType.JOB_TYPE_COMMAND,
  args: {
    kind: { $case: 'command' as const, value: { executable, args: ['-c', script], env: {} } },
  },
});
const SLEEP = command('sleep 30');

describe('Admission (unit)', () => {
  it('counts per identity and in all, refuses naming the limit, and releases each slot once', () => {
    const refused: string[] = [];
    const admission = new Admission(
      { maxRunningJobs: 3, maxRunningJobsPerIdentity: 2, maxTailsPerIdentity: 1 },
      (limit) => refused.push(limit),
    );
    const a1 = admission.admitJob('alice');
    admission.admitJob('alice');
    assert.throws(() => admission.admitJob('alice'), {
      code: 'WN_RESOURCE_EXHAUSTED',
      message: /^too many running jobs for alice: the limit is 2 \(maxRunningJobsPerIdentity\)/,
    });
    admission.admitJob('bob');
    assert.throws(() => admission.admitJob('carol'), {
      message: /^too many running jobs on this server: the limit is 3 \(maxRunningJobs\)/,
    });
    a1.release();
    a1.release(); // idempotent: does not free a second slot
    assert.equal(admission.runningJobs, 2);
    admission.admitJob('carol');
    assert.throws(() => admission.admitJob('dave'), { message: /maxRunningJobs\)/ });
    const tail = admission.admitTail('alice');
    assert.throws(() => admission.admitTail('alice'), {
      message: /^too many Tail streams for alice: the limit is 1 \(maxTailsPerIdentity\)/,
    });
    tail.release();
    admission.admitTail('alice').release();
    assert.deepEqual(refused, [
      'maxRunningJobsPerIdentity',
      'maxRunningJobs',
      'maxRunningJobs',
      'maxTailsPerIdentity',
    ]);
  });
});

describe('admission control on a server', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      config: {
        maxRunningJobs: 3,
        maxRunningJobsPerIdentity: 2,
        maxTailsPerIdentity: 2,
        maxRequestSize: 64 * 1024,
      },
    });
  });
  after(() => t.close());

  async function stopAll(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => t.as.admin.stop({ id, gracePeriod: { seconds: 0 } })));
  }

  it('refuses a third running job of one identity, then a job past the global limit, naming each limit', async () => {
    const alice = [await t.as.alice.start(SLEEP), await t.as.alice.start(SLEEP)];
    await assertStatus(
      t.as.alice.start(SLEEP),
      GrpcCode.RESOURCE_EXHAUSTED,
      /^too many running jobs for alice: the limit is 2 \(maxRunningJobsPerIdentity\)/,
    );
    const bob = await t.as.bob.start(SLEEP);
    await assertStatus(
      t.as.admin.start(SLEEP),
      GrpcCode.RESOURCE_EXHAUSTED,
      /^too many running jobs on this server: the limit is 3 \(maxRunningJobs\)/,
    );
    // A job that ends gives its slot back.
    await stopAll([alice[0]!.id]);
    const again = await t.as.alice.start(SLEEP);
    await stopAll([alice[1]!.id, bob.id, again.id]);
    assert.equal(t.server.runningJobs, 0);
    const refusals = t.logs.filter((l) => l.msg === 'rpc' && l.code === 'RESOURCE_EXHAUSTED');
    assert.equal(refusals.length, 2, 'each refusal is logged as RESOURCE_EXHAUSTED');
  });

  it('gives the slot back when the job cannot start, and when it ends by itself', async () => {
    for (let i = 0; i < 4; i++) {
      await assertStatus(t.as.alice.start(command('x', '/nonexistent/binary')), GrpcCode.FAILED_PRECONDITION);
    }
    for (let i = 0; i < 4; i++) {
      const job = await t.as.alice.start(command('true'));
      await t.as.alice.tail({ id: job.id }); // follows until the job has ended
    }
    await eventually(() => t.server.runningJobs === 0, 5_000, 'the slots of ended jobs to be released');
  });

  it('never admits more than the limit when Starts race (50 rounds of 8 at once)', async () => {
    for (let round = 0; round < 50; round++) {
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => t.as.alice.start(SLEEP)));
      const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.id] : []));
      assert.equal(started.length, 2, `round ${round}: ${started.length} jobs started`);
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.equal((r.reason as { code: number }).code, GrpcCode.RESOURCE_EXHAUSTED);
        }
      }
      await stopAll(started);
      await eventually(() => t.server.runningJobs === 0, 5_000, 'the slots to be released');
    }
  });

  it('limits the Tail streams of one identity, and frees a slot when a stream closes', async () => {
    const job = await t.as.alice.start(command('while true; do echo tick; sleep 0.05; done'));
    const streams = [t.as.alice.tailStream({ id: job.id }), t.as.alice.tailStream({ id: job.id })];
    for (const stream of streams) stream.on('error', () => {}); // CANCELLED at the end
    await eventually(() => t.server.liveTails === 2, 5_000, 'two live Tails');
    await assertStatus(
      t.as.alice.tail({ id: job.id }),
      GrpcCode.RESOURCE_EXHAUSTED,
      /^too many Tail streams for alice: the limit is 2 \(maxTailsPerIdentity\)/,
    );
    // Another identity has its own allowance.
    const adminStream = t.as.admin.tailStream({ id: job.id });
    adminStream.on('error', () => {});
    await eventually(() => t.server.liveTails === 3, 5_000, 'the admin Tail');
    streams[0]!.cancel();
    await eventually(() => t.server.liveTails === 2, 5_000, 'the cancelled Tail to be released');
    const third = t.as.alice.tailStream({ id: job.id });
    third.on('error', () => {});
    await eventually(() => t.server.liveTails === 3, 5_000, 'a new Tail in the freed slot');
    for (const stream of [streams[1]!, third, adminStream]) stream.cancel();
    await t.as.admin.stop({ id: job.id, gracePeriod: { seconds: 0 } });
    await eventually(() => t.server.liveTails === 0, 5_000, 'every Tail to be released');
  });

  it('refuses a request above maxRequestSize with RESOURCE_EXHAUSTED, and keeps serving', async () => {
    const big = {
      type: JobType.JOB_TYPE_COMMAND,
      args: {
        kind: {
          $case: 'command' as const,
          value: { executable: '/bin/true', args: [], env: { BIG: 'x'.repeat(100 * 1024) } },
        },
      },
    };
    await assertStatus(
      t.as.alice.start(big),
      GrpcCode.RESOURCE_EXHAUSTED,
      /^Received message larger than max \(\d+ vs 65536\)$/,
    );
    // The same connection serves the next call.
    await t.as.alice.list();
    assert.equal(t.server.runningJobs, 0, 'no job was admitted');
  });
});
