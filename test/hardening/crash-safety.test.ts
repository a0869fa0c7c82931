/**
 * Issue 8, point 2: crash safety. The real server (mutual TLS, the sandbox) runs as a subprocess and
 * is SIGKILLed while a job writes output continuously and clients follow it, during a Start and
 * during a Stop. After a restart on the same data directory the store is intact, the job is LOST with
 * its output, its cgroups and processes are gone, and new jobs run.
 *
 * What "every byte it wrote" can mean. A job's output reaches the log through a pipe: the job writes
 * into the pipe, the server reads from it and appends to the log file, and only then wakes the
 * followers. When the server is SIGKILLed, what it had appended is in the file (the page cache
 * survives the process), what it had read but not yet appended is lost with it (at most one chunk in
 * flight), and what was still in the pipe dies with the job (the pipe's read end closes with the
 * server, and the job is killed by its parent-death signal). So the guarantee tested is:
 *
 *   - the log is an exact prefix of what the job wrote: no gap, no corruption, no reordering;
 *   - it holds at least every byte any follower received (followers are fed from the log);
 *   - the size the store records for the job equals the file's size.
 *
 * The job is `seq 1 N`, whose output is known in advance, so "exact prefix" is checked byte by byte.
 */
import assert from 'node:assert/strict';
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { JobStatus, JobType, type TailJobResponse } from '../../src/gen/workernator/v1/workernator.js';
import { GrpcCode, assertStatus } from '../server/helpers/assertions.js';
import { ServerHome, jobCgroups, processesWithEnv, type ServerRun } from './helpers/server.js';

const MARKER = `WORKERNATOR_HARDENING_CRASH=${process.pid}`;
const ENV = { PATH: '/usr/bin:/bin', WORKERNATOR_HARDENING_CRASH: String(process.pid) };

function command(executable: string, args: string[]) {
  return { kind: { $case: 'command' as const, value: { executable, args, env: ENV } } };
}

/** `seq 1 n` output, long enough to cover `bytes` bytes. */
function seqOutput(bytes: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  for (let i = 1; length < bytes; i++) {
    const line = `${i}\n`;
    parts.push(line);
    length += line.length;
  }
  return Buffer.from(parts.join(''));
}

/** Asserts that `data` is exactly the first data.length bytes of `seq 1 N`, naming the first difference. */
function assertSeqPrefix(data: Buffer, what: string): void {
  const expected = seqOutput(data.length).subarray(0, data.length);
  if (data.equals(expected)) return;
  let i = 0;
  while (i < data.length && data[i] === expected[i]) i++;
  assert.fail(
    `${what} is not a prefix of the job's output: first difference at byte ${i} of ${data.length}: ` +
      `${JSON.stringify(data.subarray(Math.max(0, i - 20), i + 20).toString())} vs ` +
      `${JSON.stringify(expected.subarray(Math.max(0, i - 20), i + 20).toString())}`,
  );
}

interface Follower {
  readonly received: () => Buffer;
  /** Resolves once the follower has received at least `bytes` bytes. */
  readonly reached: (bytes: number) => Promise<void>;
  /** Settles when the stream ends, with how it ended. */
  readonly ended: Promise<{ code: number | undefined }>;
}

function follow(stream: ClientReadableStream<TailJobResponse>): Follower {
  const parts: Buffer[] = [];
  let size = 0;
  const waiters: { bytes: number; resolve: () => void }[] = [];
  stream.on('data', (message: TailJobResponse) => {
    parts.push(message.data);
    size += message.data.length;
    for (const waiter of waiters.filter((w) => size >= w.bytes)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  const ended = new Promise<{ code: number | undefined }>((resolve) => {
    stream.on('error', (error: { code?: number }) => resolve({ code: error.code }));
    stream.on('end', () => resolve({ code: undefined }));
  });
  return {
    received: () => Buffer.concat(parts),
    reached: (bytes) =>
      size >= bytes
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ bytes, resolve })),
            ended.then(() => assert.fail(`the follower ended at ${size} bytes, before ${bytes}`)),
          ]),
    ended,
  };
}

/** Opens the store read-only and checks SQLite's own consistency check. */
function assertStoreIntact(dataDir: string): void {
  const db = new Database(join(dataDir, 'jobs.db'), { readonly: true, fileMustExist: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  } finally {
    db.close();
  }
}

/** After a crash, before the restart: the job's processes died with the server (parent-death signals). */
async function assertProcessesGone(): Promise<void> {
  assert.deepEqual(await processesWithEnv(MARKER), [], 'job processes outlived the server');
}

/** A restarted server has swept every job cgroup, and a new job runs to completion. */
async function assertRecovered(home: ServerHome, run: ServerRun): Promise<void> {
  assert.deepEqual(await jobCgroups(home.cgroupRootName), [], 'the restart left job cgroups');
  assert.deepEqual(await processesWithEnv(MARKER), []);
  const job = await run.as.alice.start({
    type: JobType.JOB_TYPE_COMMAND,
    args: command('/bin/echo', ['after the crash']),
  });
  const tail = await run.as.alice.tail({ id: job.id });
  assert.equal(tail.data.toString(), 'after the crash\n');
  assert.equal((await run.as.alice.status(job.id)).status, JobStatus.JOB_STATUS_COMPLETE);
}

/** Resolves with the first entry named like `match` created in `dir` (fs.watch: an event, not a poll). */
function firstCreated(dir: string, match: RegExp): { entry: Promise<string>; close: () => void } {
  let watcher: FSWatcher | undefined;
  const entry = new Promise<string>((resolve, reject) => {
    watcher = watch(dir, (_event, name) => {
      if (name !== null && match.test(name)) resolve(name);
    });
    watcher.on('error', reject);
  });
  return { entry, close: () => watcher?.close() };
}

describe('SIGKILL of the server', () => {
  let home: ServerHome;

  before(async () => {
    home = await ServerHome.create();
  });
  after(async () => {
    await home.close();
  });

  it(
    'while a job writes continuously and clients follow: LOST with an exact prefix of its output',
    { timeout: 60_000 },
    async () => {
      const run = await home.start();
      // A job that ended before the crash: its record and output must survive unchanged.
      const done = await run.as.bob.start({
        type: JobType.JOB_TYPE_COMMAND,
        args: command('/usr/bin/seq', ['1', '1000']),
      });
      const doneOutput = (await run.as.bob.tail({ id: done.id })).data;
      assert.ok(doneOutput.equals(seqOutput(3893)), 'seq 1 1000');

      const job = await run.as.alice.start({
        type: JobType.JOB_TYPE_COMMAND,
        args: command('/usr/bin/seq', ['1', '1000000000']),
      });
      assert.ok((await jobCgroups(home.cgroupRootName)).length > 0, 'the job runs in its cgroups');
      const owner = follow(run.as.alice.tailStream({ id: job.id }));
      const admin = follow(run.as.admin.tailStream({ id: job.id }));
      const viewer = follow(run.as.vera.tailStream({ id: job.id, offset: 1000 }));
      await Promise.all([owner.reached(1 << 20), admin.reached(256 << 10), viewer.reached(1)]);
      await run.crash();

      // Every follower's stream ended with an error (the connection died), none hangs.
      for (const f of [owner, admin, viewer]) assert.notEqual((await f.ended).code, undefined);
      await assertProcessesGone();

      const restarted = await home.start();
      const lost = await restarted.as.admin.status(job.id);
      assert.equal(lost.status, JobStatus.JOB_STATUS_LOST);
      assert.match(lost.error, /^lost: the server that ran this job stopped/);
      assert.ok(lost.finishedAt !== undefined);

      const log = (await restarted.as.alice.tail({ id: job.id, noFollow: true })).data;
      assertSeqPrefix(log, 'the log after the crash');
      assert.equal(Number(lost.outputBytes), log.length, 'the store records the log size');
      assert.equal((await stat(join(home.dataDir, 'output', `${job.id}.log`))).size, log.length);
      for (const [name, f, offset] of [
        ['owner', owner, 0],
        ['admin', admin, 0],
        ['viewer', viewer, 1000],
      ] as const) {
        const received = f.received();
        assert.ok(
          offset + received.length <= log.length,
          `the ${name} follower received ${offset + received.length} bytes, the log has only ${log.length}`,
        );
        assert.ok(received.equals(log.subarray(offset, offset + received.length)), `${name}: same bytes`);
      }
      // Following a LOST job ends at once with everything.
      assert.ok((await restarted.as.alice.tail({ id: job.id })).data.equals(log));

      // The rest of the store is intact.
      const stillDone = await restarted.as.bob.status(done.id);
      assert.equal(stillDone.status, JobStatus.JOB_STATUS_COMPLETE);
      assert.ok((await restarted.as.bob.tail({ id: done.id })).data.equals(doneOutput));
      const listed = (await restarted.as.admin.list()).jobs.map((j) => j.id).sort();
      assert.deepEqual(listed, [done.id, job.id].sort());

      await assertRecovered(home, restarted);
      await restarted.crash();
      assertStoreIntact(home.dataDir);
    },
  );

  it('during a Start: the job is LOST, nothing of it is left, and the server starts again', async () => {
    // Two moments: once the job's log file exists (its record is PENDING, the launch is under way),
    // and once its cgroup exists (the sandbox is spawning the shim).
    for (const moment of ['log file created', 'cgroup created'] as const) {
      const run = await home.start();
      const before = (await run.as.admin.list()).jobs.length;
      assert.deepEqual(await jobCgroups(home.cgroupRootName), []);
      const watched =
        moment === 'log file created'
          ? firstCreated(join(home.dataDir, 'output'), /\.log$/)
          : firstCreated(await unifiedOrAnyRoot(home.cgroupRootName), /^[^.]/);
      try {
        // The caller learns the call failed; it never hangs.
        const starting = assertStatus(
          run.as.alice.start({ type: JobType.JOB_TYPE_COMMAND, args: command('/bin/sleep', ['1000']) }),
          GrpcCode.UNAVAILABLE,
        );
        // A Start that ends before the moment (it should not) must fail the test, not hang it.
        await Promise.race([watched.entry, starting]);
        await run.crash();
        await starting;
      } finally {
        watched.close();
      }
      await assertProcessesGone();

      const restarted = await home.start();
      const jobs = (await restarted.as.admin.list()).jobs;
      assert.equal(jobs.length, before + 1, `${moment}: exactly one record for the interrupted Start`);
      const interrupted = jobs[0]!;
      assert.ok(
        interrupted.status === JobStatus.JOB_STATUS_LOST,
        `${moment}: the interrupted job is ${JobStatus[interrupted.status]}`,
      );
      await assertRecovered(home, restarted);
      await restarted.crash();
      assertStoreIntact(home.dataDir);
    }
  });

  it('during a Stop: the job is LOST with its output, nothing is left, and the server starts again', async () => {
    const run = await home.start();
    const job = await run.as.alice.start({
      type: JobType.JOB_TYPE_COMMAND,
      args: command('/bin/sh', ['-c', 'trap "echo stopping" TERM; echo ready; while :; do sleep 0.1; done']),
    });
    const follower = follow(run.as.alice.tailStream({ id: job.id }));
    await follower.reached('ready\n'.length);
    // A long grace period: the Stop is in progress (SIGTERM sent, the job said so) when the server dies.
    const stopping = assertStatus(
      run.as.alice.stop({ id: job.id, gracePeriod: { seconds: 3600 } }),
      GrpcCode.UNAVAILABLE,
    );
    await follower.reached('ready\nstopping\n'.length);
    await run.crash();
    await stopping;
    await follower.ended;
    await assertProcessesGone();

    const restarted = await home.start();
    const lost = await restarted.as.alice.status(job.id);
    assert.equal(lost.status, JobStatus.JOB_STATUS_LOST);
    const log = (await restarted.as.alice.tail({ id: job.id })).data.toString();
    assert.ok(log.startsWith('ready\nstopping\n'), JSON.stringify(log));
    assert.equal(Number(lost.outputBytes), Buffer.byteLength(log));
    // Stopping it again answers at once with the ended job.
    assert.equal((await restarted.as.alice.stop({ id: job.id })).status, JobStatus.JOB_STATUS_LOST);
    await assertRecovered(home, restarted);
    await restarted.crash();
    assertStoreIntact(home.dataDir);
  });
});

/** The directory job cgroups are created in: the hybrid host's unified root, else the first root. */
async function unifiedOrAnyRoot(rootName: string): Promise<string> {
  const { detectCgroups } = await import('../../src/sandbox/cgroups/detect.js');
  const layout = await detectCgroups();
  if (layout.version === 2) return join(layout.ownDir, rootName);
  return join((layout.unified ?? layout.hierarchies.freezer).ownDir, rootName);
}
