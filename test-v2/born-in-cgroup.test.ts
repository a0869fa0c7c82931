/**
 * A job is born in its cgroup: the shim clones the job's init with clone3(CLONE_INTO_CGROUP) into
 * the job's v2 cgroup, so the job (and its init) are there from their first instruction, never
 * moved. On v1 the shim writes the init's PID to each hierarchy's cgroup.procs before releasing it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultShimPath } from '../src/sandbox/index.js';
import {
  cgroupPath,
  type Harness,
  openHarness,
  removeTree,
  runProgram,
  scaled,
  skipReason,
} from './helpers.js';

const marker = `workernator-v2-born-${process.pid}`;

describe('a job is born in its cgroup (cgroup v2)', { skip: skipReason(), timeout: scaled(60_000) }, () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('wn-v2-born', { marker });
  });
  after(() => h?.close());

  it('uses the v2 backend under the server’s own cgroup', () => {
    assert.equal(h.sandbox.cgroupVersion, 2);
    assert.equal(h.sandbox.cgroupRootDirs.length, 1);
    assert.match(h.sandbox.cgroupRootDirs[0] ?? '', /^\/sys\/fs\/cgroup\/wn-v2-born-\d+\/workernator$/);
  });

  it('shows the job, and its namespace’s init, in the job cgroup', async () => {
    const job = await h.run('cat /proc/self/cgroup /proc/1/cgroup');
    const { job: ended, output } = await h.outcome(job);
    assert.equal(ended.status, 'complete', output);
    const expected = `0::${cgroupPath(join(h.sandbox.cgroupRootDirs[0] ?? '', job.id))}\n`;
    assert.equal(output, expected + expected);
  });

  it('clones the init with CLONE_INTO_CGROUP rather than moving it (strace of the shim)', async (t) => {
    if (!existsSync('/usr/bin/strace')) {
      t.skip('no /usr/bin/strace');
      return;
    }
    const dir = join(h.sandbox.cgroupRootDirs[0] ?? '', 'strace-probe');
    await mkdir(dir);
    try {
      const trace = join(h.dataDir, 'clone3.trace');
      const run = await runProgram(
        '/usr/bin/strace',
        [
          '-f',
          '-qq',
          '-e',
          'trace=clone3',
          '-e',
          'signal=none',
          '-o',
          trace,
          defaultShimPath(),
          '--job-id',
          'strace-probe',
          '--cgroup2',
          dir,
          '--',
          '/bin/cat',
          '/proc/self/cgroup',
        ],
        { stdio3: true },
      );
      assert.equal(run.code, 0, run.output);
      assert.match(run.fd3, /^running \d+\nexit 0\n$/);
      assert.equal(run.output, `0::${cgroupPath(dir)}\n`);
      const calls = await readFile(trace, 'utf8');
      // One clone3 with CLONE_INTO_CGROUP that returned a PID; no write of the init to cgroup.procs.
      assert.match(calls, /clone3\(\{flags=[^}]*CLONE_INTO_CGROUP[^}]*cgroup=\d+\}, \d+\) = [1-9]\d*/, calls);
    } finally {
      await removeTree(dir);
    }
  });
});
