import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobStartError } from '../../src/core/errors.js';
import type { JobManager } from '../../src/core/job-manager.js';
import { runnerBundlePath } from '../../src/core/jobs/runner-location.js';
import type { Job, ResourceLimits } from '../../src/core/types.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { assertRunnerBuilt, firstOutput, outcome, withoutTimestamps } from '../helpers/manager.js';
import { jobCgroups, openSandboxedManager, openTestSandbox, processesWith } from '../helpers/sandbox.js';
import { collect, tempDir } from '../helpers/temp-dir.js';

const PATH = '/usr/local/bin:/usr/bin:/bin';

describe('jobs in the sandbox', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let sandbox: Sandbox;
  let manager: JobManager;
  const marker = `workernator-sandbox-test-${process.pid}`;
  // Masked for every job: a directory any user could read (so only the mask keeps a job out), not
  // under /tmp (a job's /tmp is private anyway).
  let masked = '';

  const run = (script: string, limits: ResourceLimits = {}, runAsRoot = false): Promise<Job> =>
    manager.start({
      owner: 'tester',
      args: { type: 'command', executable: '/bin/sh', args: ['-c', script, marker], env: { PATH } },
      limits,
      isolation: { runAsRoot },
    });
  const output = async (job: Job) => (await outcome(manager, job.id)).output;

  before(async () => {
    assertRunnerBuilt();
    dir = await tempDir();
    masked = await mkdtemp('/var/tmp/workernator-masked-');
    await chmod(masked, 0o755);
    await writeFile(join(masked, 'secret'), `${marker}-secret\n`, { mode: 0o644 });
    sandbox = await openTestSandbox(dir.path, { maskedPaths: [masked] });
    manager = await openSandboxedManager(dir.path, sandbox, { defaultGraceMs: 2_000 });
  });
  after(async () => {
    await manager?.close({ graceMs: 0 });
    await sandbox?.close();
    await dir.remove();
    if (masked !== '') await rm(masked, { recursive: true, force: true });
  });

  it('shows the job no host process', async () => {
    const pids = (await output(await run('ls /proc | grep -E "^[0-9]+$"'))).trim().split('\n').map(Number);
    // The init (1), the job's shell (2) and its ls and grep.
    assert.ok(
      pids.every((pid) => pid < 10),
      `pids seen: ${pids.join(' ')}`,
    );
    assert.ok(pids.includes(1));
  });

  it('gives the job only lo, and lo is up', async () => {
    const text = await output(await run('ip -o link'));
    const links = text.trim().split('\n');
    assert.equal(links.length, 1, text);
    assert.match(links[0] ?? '', /^1: lo: <LOOPBACK,UP,LOWER_UP>/);
  });

  it('names the host after the job and gives it an empty private /tmp', async () => {
    const job = await run('hostname; ls -A /tmp | wc -l; touch /tmp/mine; stat -f -c %T /tmp');
    assert.equal(await output(job), `${job.id}\n0\ntmpfs\n`);
  });

  it('runs the job as nobody with no_new_privs', async () => {
    const text = await output(await run('id -u; id -g; id -G; grep NoNewPrivs /proc/self/status'));
    assert.equal(text, '65534\n65534\n65534\nNoNewPrivs:\t1\n');
  });

  it('hides the masked paths from every job, root or not, for good', async () => {
    const script = [
      `echo "entries: $(ls -A '${masked}' | wc -l)"`,
      `cat '${masked}/secret' 2>/dev/null || echo unreadable`,
      // A root job has no CAP_SYS_ADMIN: it can neither unmount the mask nor mount anything.
      `umount -l '${masked}' 2>/dev/null && echo unmounted`,
      'mount -t tmpfs none /mnt 2>/dev/null && echo mounted',
      `cat '${masked}/secret' 2>/dev/null || echo still-unreadable`,
    ].join('\n');
    for (const root of [false, true]) {
      const text = await output(await run(script, {}, root));
      assert.equal(text, 'entries: 0\nunreadable\nstill-unreadable\n', `root: ${root}`);
    }
    // The mask is the job's own mount: the host still sees the directory as it is.
    assert.equal(await readFile(join(masked, 'secret'), 'utf8'), `${marker}-secret\n`);
    const hostMounts = await readFile('/proc/self/mountinfo', 'utf8');
    assert.ok(!hostMounts.includes(masked), 'the host sees the mask');
  });

  it('reports a missing executable precisely and leaves nothing behind', async () => {
    const before = await jobCgroups(sandbox);
    await assert.rejects(
      manager.start({
        owner: 'tester',
        args: { type: 'command', executable: '/usr/bin/nope', args: [], env: {} },
      }),
      (error: unknown) =>
        error instanceof JobStartError &&
        error.message === 'executable not found: /usr/bin/nope' &&
        error.step === 'exec' &&
        error.causedByRequest,
    );
    assert.deepEqual(await jobCgroups(sandbox), before);
  });

  it('reports a working directory the job user cannot enter', async () => {
    // Not under /tmp: a job's /tmp is its own, so host paths there do not exist for it.
    const secret = await mkdtemp('/var/tmp/workernator-secret-');
    after(() => rm(secret, { recursive: true, force: true }));
    await assert.rejects(
      manager.start({
        owner: 't',
        args: { type: 'command', executable: '/bin/true', args: [], env: {}, workingDir: secret },
      }),
      { message: `working directory not accessible to the job's user: ${secret}`, causedByRequest: true },
    );
  });

  it('OOM-kills a job over its memory limit and says so', async () => {
    const job = await manager.start({
      owner: 'tester',
      args: {
        type: 'command',
        executable: '/usr/bin/python3',
        args: ['-c', 'b = b"x" * (256 << 20); print("survived")'],
        env: { PATH },
      },
      limits: { memoryBytes: 64 * 1024 * 1024 },
    });
    const ended = await manager.wait(job.id);
    assert.equal(ended.status, 'failed');
    assert.equal(ended.signal, 'SIGKILL');
    assert.equal(ended.usage?.oomKilled, true);
    assert.equal(ended.error, 'killed: out of memory (limit 64 MiB)');
  });

  it('holds a busy loop to its CPU quota', async () => {
    const job = await run('exec timeout 4 sh -c "while :; do :; done"', { cpuMillicores: 250 });
    const ended = await manager.wait(job.id);
    const wallSeconds = ((ended.finishedAt ?? 0) - (ended.startedAt ?? 0)) / 1000;
    const cpuSeconds = (ended.usage?.cpuTimeMicros ?? 0) / 1e6;
    const share = cpuSeconds / wallSeconds;
    assert.ok(
      Math.abs(share - 0.25) <= 0.05,
      `used ${cpuSeconds.toFixed(2)} s of CPU in ${wallSeconds.toFixed(2)} s: ${share.toFixed(3)}`,
    );
  });

  it('contains a fork bomb under its pids limit', async () => {
    // Forks until the kernel refuses, keeping every child alive, then says so and holds on.
    const bomb = [
      'import os, time',
      'while True:',
      '    try:',
      '        if os.fork() == 0:',
      '            time.sleep(1000)',
      '            os._exit(0)',
      '    except OSError as error:',
      '        print("fork refused:", error.strerror, flush=True)',
      '        break',
      'time.sleep(1000)',
    ].join('\n');
    const job = await manager.start({
      owner: 'tester',
      args: { type: 'command', executable: '/usr/bin/python3', args: ['-c', bomb, marker], env: { PATH } },
      limits: { pids: 64 },
    });
    const pidsDir = (await jobCgroups(sandbox)).find((d) => d.includes('/pids/') && d.endsWith(job.id));
    assert.ok(pidsDir !== undefined, 'the job has a pids cgroup');
    let said = '';
    for await (const chunk of manager.tail(job.id)) {
      said += Buffer.from(chunk).toString();
      if (said.includes('\n')) break;
    }
    assert.equal(said, 'fork refused: Resource temporarily unavailable\n');
    assert.equal(Number(await readFile(join(pidsDir, 'pids.current'), 'utf8')), 64);
    assert.match(await readFile(join(pidsDir, 'pids.events'), 'utf8'), /^max [1-9]/);
    const stopped = await manager.stop(job.id, { graceMs: 0 });
    assert.equal(stopped.status, 'stopped');
    assert.deepEqual(await processesWith(marker), []);
  });

  it('stops a job with SIGTERM through the init, within the grace period', async () => {
    const job = await run('trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.05; done');
    await firstOutput(manager, job.id);
    const stopped = await manager.stop(job.id, { graceMs: 10_000 });
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.exitCode, 0);
    assert.equal(await output(job), 'ready\ngot TERM\n');
  });

  it('kills a job that ignores SIGTERM when the grace period is over', async () => {
    const job = await run('trap "" TERM; echo ready; while :; do sleep 0.05; done');
    await firstOutput(manager, job.id);
    const stopped = await manager.stop(job.id, { graceMs: 200 });
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.signal, 'SIGKILL');
    assert.deepEqual(await jobCgroups(sandbox), []);
  });

  it('leaves nothing of a daemonized grandchild after stop', async () => {
    // The daemon's name is built by the shell, so only the daemon's own command line holds it (the
    // shim's and the job shell's hold the script text); it does not exec, so it keeps the name.
    const job = await run(`setsid sh -c 'sleep 1000; :' "$0-daemon" & echo started; exec sleep 1000`);
    for await (const chunk of manager.tail(job.id))
      if (Buffer.from(chunk).toString().includes('started')) break;
    const daemons = await processesWith(`${marker}-daemon`);
    assert.equal(daemons.length, 1, 'the daemon runs');
    assert.equal(
      (await readFile(`/proc/${daemons[0]}/stat`, 'utf8')).split(' ')[5],
      String(daemons[0]),
      'it leads its own session',
    );
    await manager.stop(job.id, { graceMs: 0 });
    assert.deepEqual(await processesWith(marker), []);
  });

  it('runs built-in jobs when the job user cannot read the installation', async () => {
    const hidden = join(dir.path, 'install');
    await mkdir(hidden, { mode: 0o700 });
    await chmod(dir.path, 0o700);
    const script = join(hidden, 'job-runner.mjs');
    await copyFile(runnerBundlePath(), script);
    const hiddenManager = await openSandboxedManager(join(dir.path, 'hidden-data'), sandbox, {
      builtinRunner: { executable: process.execPath, script },
    });
    try {
      const job = await hiddenManager.start({ owner: 'tester', args: { type: 'fibonacci', position: 3 } });
      const result = await outcome(hiddenManager, job.id);
      assert.equal(result.job.status, 'complete', result.output);
      assert.match(withoutTimestamps(result.output), /\[RESULT\] 1\n/);
    } finally {
      await hiddenManager.close();
    }
  });

  it('leaves no cgroup, mount or process after 100 jobs', async () => {
    const mountsBefore = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').length;
    for (let batch = 0; batch < 10; batch++) {
      const jobs = await Promise.all(Array.from({ length: 10 }, () => run('echo hi')));
      const ended = await Promise.all(jobs.map((job) => manager.wait(job.id)));
      for (const job of ended) assert.equal(job.status, 'complete');
    }
    assert.deepEqual(await jobCgroups(sandbox), []);
    assert.equal((await readFile('/proc/self/mountinfo', 'utf8')).split('\n').length, mountsBefore);
    assert.deepEqual(await processesWith(marker), []);
  });

  it('follows output to the end through the sandbox', async () => {
    const job = await run('i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done');
    const text = (await collect(manager.tail(job.id))).toString();
    assert.equal(text.split('\n').length, 501);
  });
});
