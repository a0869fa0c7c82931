import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  InvalidArgumentError,
  InvalidJobIdError,
  JobNotFoundError,
  JobStartError,
  ManagerClosedError,
} from '../../src/core/errors.js';
import type { JobManager } from '../../src/core/job-manager.js';
import type { LaunchedJob, Launcher } from '../../src/core/launcher.js';
import { ProcessGroupLauncher } from '../../src/core/process-group-launcher.js';
import { collect, tempDir } from '../helpers/temp-dir.js';
import {
  assertRunnerBuilt,
  firstOutput,
  openManager,
  outcome,
  startCommand,
  withoutTimestamps,
} from '../helpers/manager.js';

describe('JobManager with the process-group launcher', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let manager: JobManager;

  before(async () => {
    assertRunnerBuilt();
    dir = await tempDir();
    manager = await openManager(dir.path, { defaultGraceMs: 5_000 });
  });
  after(async () => {
    await manager.close({ graceMs: 0 });
    await dir.remove();
  });

  it('runs a command to completion and records its output byte for byte', async () => {
    const job = await startCommand(manager, '/bin/sh', [
      '-c',
      'printf "out\\n"; printf "err\\n" >&2; printf "\\000\\377"',
    ]);
    assert.match(job.id, /^[A-HJ-NP-Z2-9]{6}$/);
    assert.equal(job.status, 'running');
    assert.equal(job.owner, 'tester');
    const { job: ended, output } = await outcome(manager, job.id);
    assert.equal(ended.status, 'complete');
    assert.equal(ended.exitCode, 0);
    assert.ok(output.includes('out\n') && output.includes('err\n'));
    const file = await readFile(join(dir.path, 'output', `${job.id}.log`));
    // stdout and stderr are separate pipes here, so only the order within each is kept.
    assert.ok(file.includes(Buffer.from([...Buffer.from('out\n'), 0x00, 0xff])));
    assert.equal(ended.outputBytes, file.byteLength);
    assert.ok(
      ended.startedAt !== undefined && ended.finishedAt !== undefined && ended.finishedAt >= ended.startedAt,
    );
  });

  it('records a non-zero exit as failed with the code', async () => {
    const job = await startCommand(manager, '/bin/sh', ['-c', 'exit 3']);
    const ended = await manager.wait(job.id);
    assert.equal(ended.status, 'failed');
    assert.equal(ended.exitCode, 3);
    assert.equal(ended.error, 'exited with code 3');
  });

  it('returns a start error from start and records the job as failed', async () => {
    const error = await startCommand(manager, '/usr/bin/nope').then(
      () => assert.fail('start should have failed'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof JobStartError);
    assert.equal(error.message, 'executable not found: /usr/bin/nope');
    assert.equal(error.causedByRequest, true, 'the request named it: FAILED_PRECONDITION, not UNAVAILABLE');
    const failed = manager
      .list({ statuses: ['failed'] })
      .jobs.find((j) => j.args.type === 'command' && j.args.executable === '/usr/bin/nope');
    assert.equal(failed?.error, 'executable not found: /usr/bin/nope');
  });

  it('refuses a file that is not executable', async () => {
    const path = join(dir.path, 'not-executable');
    await writeFile(path, '#!/bin/sh\necho no\n', { mode: 0o644 });
    await assert.rejects(startCommand(manager, path), { message: `permission denied: ${path}` });
  });

  it('refuses invalid arguments before recording anything', async () => {
    const before = manager.list({ limit: 1000 }).jobs.length;
    await assert.rejects(
      manager.start({ owner: 'x', args: { type: 'fibonacci', position: 0 } }),
      InvalidArgumentError,
    );
    assert.equal(manager.list({ limit: 1000 }).jobs.length, before);
  });

  it('runs fib 3 with the seed output', async () => {
    const job = await manager.start({ owner: 'tester', args: { type: 'fibonacci', position: 3 } });
    const { job: ended, output } = await outcome(manager, job.id);
    assert.equal(ended.status, 'complete');
    assert.equal(
      withoutTimestamps(output),
      [
        "[JOB] Starting job 'Fibonacci'",
        '[FIB] Calculating the value of the 3rd value in the Fibonacci sequence',
        "[FIB] Using lookup; value is '1'.",
        '[RESULT] 1',
        '[JOB] Complete',
        '',
      ].join('\n'),
    );
    assert.match(output, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[JOB\]/);
  });

  it('stops a job that ends on SIGTERM within the grace period', async () => {
    const job = await startCommand(manager, '/bin/sh', [
      '-c',
      'trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.05; done',
    ]);
    await firstOutput(manager, job.id);
    const stopped = await manager.stop(job.id, { graceMs: 10_000 });
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.exitCode, 0);
    assert.match((await collect(manager.tail(job.id))).toString(), /got TERM/);
  });

  it('kills a job that ignores SIGTERM once the grace period is over', async () => {
    const job = await startCommand(manager, '/bin/sh', [
      '-c',
      'trap "" TERM; echo ready; while :; do sleep 0.05; done',
    ]);
    await firstOutput(manager, job.id);
    const stopped = await manager.stop(job.id, { graceMs: 100 });
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.signal, 'SIGKILL');
  });

  it('returns an ended job unchanged from stop', async () => {
    const job = await startCommand(manager, '/bin/true');
    const ended = await manager.wait(job.id);
    assert.deepEqual(await manager.stop(job.id), ended);
  });

  it('stops a job whose stop was asked for during start', async () => {
    const starting = startCommand(manager, '/bin/sleep', ['1000']);
    // start() records the job (pending) before its first await, so it is visible at once.
    const id = manager.list({ statuses: ['pending'] }).jobs[0]?.id;
    assert.ok(id !== undefined, 'the job should be pending while it launches');
    const stopped = manager.stop(id, { graceMs: 0 });
    await starting;
    assert.equal((await stopped).status, 'stopped');
  });

  it('answers 50 concurrent stops of one job with the same ended job', async () => {
    const job = await startCommand(manager, '/bin/sleep', ['1000']);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => manager.stop(job.id, { graceMs: 50 })),
    );
    for (const result of results) assert.deepEqual(result, results[0]);
    assert.equal(results[0]?.status, 'stopped');
  });

  it('refuses malformed IDs and answers not found for unknown ones', async () => {
    for (const id of ['../x', '', 'A'.repeat(1024), 'xe38ym', '../../etc/passwd']) {
      assert.throws(() => manager.status(id), InvalidJobIdError, id);
      assert.throws(() => manager.tail(id), InvalidJobIdError, id);
      await assert.rejects(manager.stop(id), InvalidJobIdError, id);
    }
    assert.throws(() => manager.status('XE38YM'), JobNotFoundError);
  });

  it('gives 50 followers of a running job the same bytes as the file', async () => {
    const job = await startCommand(manager, '/bin/sh', [
      '-c',
      'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done',
    ]);
    const followers = Array.from({ length: 50 }, () => collect(manager.tail(job.id)));
    const results = await Promise.all(followers);
    const file = await readFile(join(dir.path, 'output', `${job.id}.log`));
    assert.ok(file.byteLength > 10_000);
    for (const result of results) assert.ok(result.equals(file));
  });

  it('tails the last lines and from an offset, with and without follow', async () => {
    const job = await startCommand(manager, '/bin/sh', ['-c', 'printf "a\\nb\\nc\\n"']);
    await manager.wait(job.id);
    assert.equal((await collect(manager.tail(job.id, { lastLines: 2 }))).toString(), 'b\nc\n');
    assert.equal((await collect(manager.tail(job.id, { offset: 4, follow: false }))).toString(), 'c\n');
  });
});

describe('JobManager limits on output', () => {
  let dir: { path: string; remove: () => Promise<void> };
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  it('stops a job whose output passes the cap, keeping exactly the cap', async () => {
    const manager = await openManager(join(dir.path, 'cap'), { outputCapBytes: 1000 });
    try {
      const job = await startCommand(manager, '/bin/sh', ['-c', 'head -c 100000 /dev/zero; exec sleep 1000']);
      const ended = await manager.wait(job.id);
      assert.equal(ended.status, 'stopped');
      assert.equal(ended.error, 'output reached its limit of 1000 bytes');
      assert.equal(ended.outputBytes, 1000);
      assert.equal((await stat(join(dir.path, 'cap', 'output', `${job.id}.log`))).size, 1000);
    } finally {
      await manager.close({ graceMs: 0 });
    }
  });
});

describe('JobManager when the log cannot be created', () => {
  it('kills the job it launched, records the start as failed, and starts others once it can', async () => {
    const dir = await tempDir();
    const launched: LaunchedJob[] = [];
    const launcher = new ProcessGroupLauncher();
    const recording: Launcher = {
      async launch(request) {
        const job = await launcher.launch(request);
        launched.push(job);
        return job;
      },
    };
    const manager = await openManager(dir.path, { launcher: recording });
    try {
      // Logs go in <data>/output: without that directory no log can be created.
      await rm(join(dir.path, 'output'), { recursive: true });
      await assert.rejects(startCommand(manager, '/bin/sleep', ['60']), (error: Error) => {
        assert.ok(error instanceof JobStartError);
        assert.match(error.message, /ENOENT/);
        return true;
      });
      assert.equal(launched.length, 1, 'the job was launched while its log was being created');
      const exit = await launched[0]!.exited;
      assert.equal(exit.signal, 'SIGKILL');
      const [failed] = manager.list({}).jobs;
      assert.equal(failed?.status, 'failed');
      assert.match(failed?.error ?? '', /ENOENT/);

      await mkdir(join(dir.path, 'output'));
      const job = await startCommand(manager, '/bin/echo', ['again']);
      assert.equal((await outcome(manager, job.id)).output, 'again\n');
    } finally {
      await manager.close({ graceMs: 0 });
      await dir.remove();
    }
  });
});

describe('JobManager after a restart', () => {
  let dir: { path: string; remove: () => Promise<void> };
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  it('keeps ended jobs and their output', async () => {
    const first = await openManager(dir.path);
    const job = await startCommand(first, '/bin/echo', ['kept']);
    await first.wait(job.id);
    await first.close();
    const second = await openManager(dir.path);
    try {
      assert.equal(second.status(job.id).status, 'complete');
      assert.equal((await collect(second.tail(job.id))).toString(), 'kept\n');
    } finally {
      await second.close();
    }
  });

  it('refuses new jobs once closing', async () => {
    const manager = await openManager(dir.path);
    await manager.close();
    await assert.rejects(startCommand(manager, '/bin/true'), ManagerClosedError);
  });
});
