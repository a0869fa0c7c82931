/**
 * Ending jobs on cgroup v2: cgroup.kill ends a job that daemonized (setsid and a double fork), the
 * job's cgroup is removed when it ends, and the job root when the sandbox closes. sweep.test.ts has
 * the startup sweep.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, jobCgroups, openHarness, processesWith, scaled, skipReason } from './helpers.js';

const marker = `workernator-v2-kill-${process.pid}`;

describe('killing and cleaning up on cgroup v2', { skip: skipReason(), timeout: scaled(120_000) }, () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('wn-v2-kill', { marker });
  });
  after(() => h?.close());

  it('ends a daemonizing job (setsid + double fork) with cgroup.kill and leaves nothing', async () => {
    // The daemon's name is put together by the shell, so that only the daemon's command line holds
    // it (the shim's and the job shell's hold the script).
    const daemonName = `${marker}-daemon`;
    const job = await h.run(
      `d=${marker}-dae; setsid sh -c 'sh -c "sleep 1000; :" "$0"mon & exit' "$d" & ` +
        `while ! pgrep -f "$d"mon >/dev/null; do sleep 0.1; done; echo started; exec sleep 1000`,
    );
    await h.waitForOutput(job, 'started');
    const dir = join(h.sandbox.cgroupRootDirs[0] ?? '', job.id);
    // The daemon (its session leader gone, so reparented to the job's init) is in the job's cgroup.
    const [daemon, ...others] = await processesWith(daemonName);
    assert.deepEqual(others, []);
    assert.ok(daemon !== undefined, 'the daemon runs');
    const procs = (await readFile(join(dir, 'cgroup.procs'), 'utf8')).trim().split('\n').map(Number);
    assert.ok(procs.includes(daemon), `daemon ${daemon} not in ${dir}: ${procs.join(' ')}`);
    assert.ok(existsSync(join(dir, 'cgroup.kill')), 'cgroup.kill exists (Linux 5.14+)');

    // Stop without grace: the launcher writes cgroup.kill (sweep.test.ts shows it alone, without the
    // help of a PID namespace, ending a daemon).
    const stopped = await h.manager.stop(job.id, { graceMs: 0 });
    assert.equal(stopped.status, 'stopped');
    assert.deepEqual(await processesWith(marker), []);
    assert.equal(existsSync(dir), false, 'the job cgroup is removed');
    assert.deepEqual(await jobCgroups(h.sandbox), []);
  });

  it('removes each job’s cgroup when it ends, and the job root when the sandbox closes', async () => {
    const jobs = await Promise.all([1, 2, 3].map((n) => h.run(`echo ${n}`)));
    for (const job of jobs) assert.equal((await h.manager.wait(job.id)).status, 'complete');
    assert.deepEqual(await jobCgroups(h.sandbox), []);
    const root = h.sandbox.cgroupRootDirs[0] ?? '';
    await h.manager.close();
    await h.sandbox.close();
    assert.equal(existsSync(root), false, `${root} is removed at close`);
  });
});
