/**
 * The startup sweep on cgroup v2: a server that starts where an earlier one left a job cgroup with
 * live processes in it (processes that escaped every PID namespace, here never had one, and
 * daemonized) kills them with cgroup.kill and removes the cgroup. Opening the sandbox does not
 * sweep (as on v1); opening the JobManager does (Launcher.recover).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobManager } from '../src/core/job-manager.js';
import { openSandbox } from '../src/sandbox/index.js';
import { enterOwnCgroup, processesWith, runProgram, scaled, skipReason, tempDir } from './helpers.js';

const marker = `workernator-v2-sweep-${process.pid}`;

describe('the startup sweep on cgroup v2', { skip: skipReason(), timeout: scaled(60_000) }, () => {
  let own: Awaited<ReturnType<typeof enterOwnCgroup>>;
  let data: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    own = await enterOwnCgroup('wn-v2-sweep');
    data = await tempDir();
  });
  after(async () => {
    await own?.leave();
    await data?.remove();
  });

  it('kills and removes a job cgroup left with live processes in it', async () => {
    // What the earlier server left: <own>/workernator/lost-job, holding a daemon.
    const leftover = join(own.dir, 'workernator', 'lost-job');
    await mkdir(leftover, { recursive: true });
    const daemonize = await runProgram('/bin/sh', [
      '-c',
      `echo $$ > ${leftover}/cgroup.procs && d=${marker}-lo && ` +
        `setsid sh -c 'sh -c "sleep 1000; :" "$0"st & exit' "$d" </dev/null >/dev/null 2>&1 && ` +
        `while ! pgrep -f "$d"st >/dev/null; do sleep 0.1; done`,
    ]);
    assert.equal(daemonize.code, 0, daemonize.output);
    const lost = await processesWith(`${marker}-lost`);
    assert.equal(lost.length, 1);
    const procs = (await readFile(join(leftover, 'cgroup.procs'), 'utf8')).trim().split('\n').map(Number);
    assert.ok(procs.includes(lost[0] ?? 0), `daemon ${lost[0]} not in ${leftover}: ${procs.join(' ')}`);

    const sandbox = await openSandbox({ dataDir: data.path, moveSelfToLeaf: true });
    assert.equal(sandbox.cgroupRootDirs[0], join(own.dir, 'workernator'));
    assert.ok(existsSync(leftover), 'opening the sandbox does not sweep');
    const manager = await JobManager.open({ dataDir: data.path, launcher: sandbox });
    try {
      assert.equal(existsSync(leftover), false, 'the sweep removed the leftover cgroup');
      assert.deepEqual(await processesWith(`${marker}-lost`), [], 'the sweep killed its processes');
      const job = await manager.start({
        owner: 'tester',
        args: { type: 'command', executable: '/bin/echo', args: ['after'], env: {} },
      });
      assert.equal((await manager.wait(job.id)).status, 'complete');
    } finally {
      await manager.close();
      await sandbox.close();
    }
    assert.equal(existsSync(join(own.dir, 'workernator')), false, 'the job root is removed at close');
  });
});
