/**
 * Issue 8, point 5: races, each repeated 50 times against a real server (mutual TLS, the real
 * sandbox): Stop during Start; 50 concurrent Stops of one job; a Tail that starts as the job ends;
 * server shutdown during 100 live Tails. Each must end consistent: every call and stream ends, no
 * job is left RUNNING, and nothing leaks: the test process's open fds (the server is in-process),
 * job processes (they carry a marker in their environment) and job cgroups.
 */
import assert from 'node:assert/strict';
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import {
  JobStatus,
  JobType,
  type Job,
  type TailJobResponse,
} from '../../src/gen/workernator/v1/workernator.js';
import { GrpcCode } from '../server/helpers/assertions.js';
import {
  fdTargets,
  jobCgroups,
  openFds,
  processesWithEnv,
  startSandboxedTestServer,
  type SandboxedTestServer,
} from './helpers/server.js';

const REPEAT = 50;
/** Open fds may differ by a few between two moments (grpc-js and libuv keep some lazily); a leak of
 * one per round shows as at least REPEAT. */
const FD_SLACK = 10;
const MARKER_NAME = 'WORKERNATOR_HARDENING_RACE';
const MARKER = `${MARKER_NAME}=${process.pid}`;

function command(executable: string, args: string[]) {
  return {
    kind: {
      $case: 'command' as const,
      value: { executable, args, env: { PATH: '/usr/bin:/bin', [MARKER_NAME]: String(process.pid) } },
    },
  };
}

const SLEEPER = command('/bin/sh', ['-c', 'echo ready; exec sleep 1000']);
/** Ignores SIGTERM, so only the kill after the grace period ends it. */
const STUBBORN = command('/bin/sh', ['-c', 'trap "" TERM; echo ready; while :; do sleep 1; done']);

const ENDED = new Set([
  JobStatus.JOB_STATUS_COMPLETE,
  JobStatus.JOB_STATUS_FAILED,
  JobStatus.JOB_STATUS_STOPPED,
]);

/** Collects a Tail stream; resolves with its data and how it ended (code undefined = ended OK). */
function collect(stream: ClientReadableStream<TailJobResponse>): {
  readonly data: () => string;
  readonly ended: Promise<{ code: GrpcCode | undefined; data: string }>;
  readonly received: (text: string) => Promise<void>;
} {
  let data = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const ended = new Promise<{ code: GrpcCode | undefined; data: string }>((resolve) => {
    stream.on('data', (message: TailJobResponse) => {
      data += message.data.toString();
      for (const waiter of waiters.filter((w) => data.includes(w.text))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
    stream.on('error', (error: ServiceError) => resolve({ code: error.code, data }));
    stream.on('end', () => resolve({ code: undefined, data }));
  });
  return {
    data: () => data,
    ended,
    received: (text) =>
      data.includes(text)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ text, resolve })),
            ended.then(({ code }) =>
              assert.fail(
                `the stream ended (${code}) before ${JSON.stringify(text)}: ${JSON.stringify(data)}`,
              ),
            ),
          ]),
  };
}

async function assertNoLeftovers(rootName: string): Promise<void> {
  assert.deepEqual(await jobCgroups(rootName), [], 'job cgroups are left');
  assert.deepEqual(await processesWithEnv(MARKER), [], 'job processes are left');
}

async function assertFdsBack(before: number, what: string): Promise<void> {
  const now = await openFds();
  assert.ok(
    now <= before + FD_SLACK,
    `${what}: ${before} fds before, ${now} after:\n${(await fdTargets()).join('\n')}`,
  );
}

describe('races', { concurrency: false }, () => {
  let server: SandboxedTestServer;
  before(async () => {
    server = await startSandboxedTestServer();
    // Warm up: the first job and Tail open what grpc-js and the sandbox keep for the server's life.
    const job = await server.as.alice.start({
      type: JobType.JOB_TYPE_COMMAND,
      args: command('/bin/true', []),
    });
    await server.as.alice.tail({ id: job.id });
  });
  after(async () => {
    await server?.close();
  });

  it('Stop during Start: the Stop wins or follows, the job ends STOPPED, never RUNNING', async () => {
    const fdsBefore = await openFds();
    // Each job's ID is known the moment its log file is created, while Start is still launching it.
    const created = new Map<string, () => void>();
    const pending: ((id: string) => void)[] = [];
    const watcher: FSWatcher = watch(join(server.dataDir, 'output'), (_event, name) => {
      if (name === null || !name.endsWith('.log')) return;
      const id = name.slice(0, -'.log'.length);
      if (created.has(id)) return;
      created.set(id, () => {});
      pending.shift()?.(id);
    });
    try {
      for (let round = 0; round < REPEAT; round++) {
        const idCreated = new Promise<string>((resolve) => pending.push(resolve));
        const starting = server.as.alice.start({ type: JobType.JOB_TYPE_COMMAND, args: SLEEPER }).then(
          (job) => ({ job, error: undefined }),
          (error: ServiceError) => ({ job: undefined, error }),
        );
        const id = await Promise.race([
          idCreated,
          starting.then(({ job }) => job?.id ?? assert.fail('Start failed before its log existed')),
        ]);
        const stopped = await server.as.alice.stop({ id, gracePeriod: { seconds: 0 } });
        const started = await starting;
        assert.equal(started.error, undefined, `round ${round}: Start failed: ${started.error?.details}`);
        assert.equal(
          stopped.status,
          JobStatus.JOB_STATUS_STOPPED,
          `round ${round}: ${JobStatus[stopped.status]}`,
        );
        assert.equal((await server.as.alice.status(id)).status, JobStatus.JOB_STATUS_STOPPED);
        // Following the stopped job ends at once.
        await server.as.alice.tail({ id });
      }
    } finally {
      watcher.close();
    }
    await assertNoLeftovers(server.cgroupRootName);
    await assertFdsBack(fdsBefore, 'Stop during Start');
  });

  it('50 concurrent Stops of one job: all answer with the same ended job', async () => {
    const fdsBefore = await openFds();
    for (let round = 0; round < REPEAT; round++) {
      const job = await server.as.bob.start({ type: JobType.JOB_TYPE_COMMAND, args: STUBBORN });
      const follower = collect(server.as.bob.tailStream({ id: job.id }));
      await follower.received('ready\n');
      // The owner and an admin, with grace periods from none to 50 ms: the first kill ends the job.
      const stops = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? server.as.bob : server.as.admin).stop({
            id: job.id,
            gracePeriod: { seconds: 0, nanos: (i % 6) * 10_000_000 },
          }),
        ),
      );
      const first: Job = stops[0]!;
      assert.equal(first.status, JobStatus.JOB_STATUS_STOPPED);
      for (const stop of stops) assert.deepEqual(stop, first, `round ${round}: every Stop sees the same end`);
      assert.deepEqual(await server.as.bob.status(job.id), first);
      assert.deepEqual(await follower.ended, { code: undefined, data: 'ready\n' });
    }
    await assertNoLeftovers(server.cgroupRootName);
    await assertFdsBack(fdsBefore, 'concurrent Stops');
  });

  it('a Tail that starts as the job ends gets everything, ends, and finds the job ended', async () => {
    const fdsBefore = await openFds();
    for (let round = 0; round < REPEAT; round++) {
      // A job that ends by itself as the Tail begins.
      const quick = await server.as.alice.start({
        type: JobType.JOB_TYPE_COMMAND,
        args: command('/bin/echo', [`round ${round}`]),
      });
      const tail = await server.as.alice.tail({ id: quick.id });
      assert.equal(tail.data.toString(), `round ${round}\n`);
      const quickEnd = await server.as.alice.status(quick.id);
      assert.equal(quickEnd.status, JobStatus.JOB_STATUS_COMPLETE, JobStatus[quickEnd.status]);

      // A job that is stopped as the Tail begins: both calls sent together.
      const stopped = await server.as.alice.start({ type: JobType.JOB_TYPE_COMMAND, args: SLEEPER });
      const [stopResult, tailResult] = await Promise.all([
        server.as.alice.stop({ id: stopped.id, gracePeriod: { seconds: 0 } }),
        server.as.alice.tail({ id: stopped.id }),
      ]);
      assert.equal(stopResult.status, JobStatus.JOB_STATUS_STOPPED);
      // The job may have been killed before its shell wrote anything: a prefix of "ready\n".
      assert.ok('ready\n'.startsWith(tailResult.data.toString()), JSON.stringify(tailResult.data.toString()));
      const final = await server.as.alice.status(stopped.id);
      assert.ok(ENDED.has(final.status), `the Tail ended while the job is ${JobStatus[final.status]}`);
      assert.equal(Number(final.outputBytes), tailResult.data.length);
    }
    assert.equal(server.server.liveTails, 0);
    await assertNoLeftovers(server.cgroupRootName);
    await assertFdsBack(fdsBefore, 'Tail as the job ends');
  });
});

describe('server shutdown during 100 live Tails', () => {
  it('ends every Tail, stops every job and leaks nothing, 50 times', async () => {
    const rounds = async (count: number) => {
      for (let round = 0; round < count; round++) {
        const t = await startSandboxedTestServer({ shutdownGrace: 50 });
        try {
          const jobs = await Promise.all([
            t.as.alice.start({ type: JobType.JOB_TYPE_COMMAND, args: SLEEPER }),
            t.as.bob.start({ type: JobType.JOB_TYPE_COMMAND, args: STUBBORN }),
          ]);
          const who = [t.as.alice, t.as.bob, t.as.admin, t.as.vera];
          const tails = Array.from({ length: 100 }, (_, i) => {
            const job = jobs[i % 2]!;
            const client = i % 4 < 2 ? (job.owner === 'alice' ? t.as.alice : t.as.bob) : who[2 + (i % 2)]!;
            return collect(client.tailStream({ id: job.id }));
          });
          await Promise.all(tails.map((tail) => tail.received('ready\n')));
          assert.equal(t.server.liveTails, 100);
          await t.server.shutdown();
          for (const tail of tails) {
            const { code, data } = await tail.ended;
            assert.ok(
              code === GrpcCode.UNAVAILABLE || code === undefined,
              `a Tail ended with ${code === undefined ? 'OK' : GrpcCode[code]}`,
            );
            assert.ok(data.startsWith('ready\n'));
          }
          assert.equal(t.server.liveTails, 0);
          await assertNoLeftovers(t.cgroupRootName);
          // The store recorded the jobs' ends: none is left RUNNING (to become LOST at a restart).
          const db = new Database(join(t.dataDir, 'jobs.db'), { readonly: true, fileMustExist: true });
          try {
            const rows = db.prepare('SELECT status, error FROM jobs').all();
            assert.deepEqual(rows, [
              { status: 'stopped', error: 'the server shut down' },
              { status: 'stopped', error: 'the server shut down' },
            ]);
          } finally {
            db.close();
          }
        } finally {
          await t.close();
        }
      }
    };
    // One round first: a server's first start loads what later ones reuse.
    await rounds(1);
    const fdsBefore = await openFds();
    await rounds(REPEAT - 1);
    await assertFdsBack(fdsBefore, 'shutdown during Tails');
  });
});
