/**
 * The no-internal-processes rule of cgroup v2: a non-root cgroup can enable controllers for its
 * children only while it has no processes of its own. The sandbox makes its job root inside the
 * server's own cgroup, which holds at least the server. Each case starts a server (the fixture, a
 * JobManager on openSandbox) born inside a fresh cgroup, alone or next to another process.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CGROUP_MOUNT, cgroupPath, removeTree, runProgram, scaled, skipReason, tempDir } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixture-open-sandbox.js', import.meta.url));

interface Opened {
  ok: boolean;
  own?: string;
  job?: string;
  jobId?: string;
  error?: { name: string; message: string; missing?: string };
}

describe(
  'a server in a cgroup that has processes (cgroup v2)',
  { skip: skipReason(), timeout: scaled(120_000) },
  () => {
    const made: string[] = [];
    let data: { path: string; remove: () => Promise<void> };
    before(async () => {
      data = await tempDir();
    });
    after(async () => {
      for (const dir of made) await removeTree(dir);
      await data?.remove();
    });

    /** Runs the fixture born in a new cgroup (optionally next to a `sleep`), and returns what it printed. */
    const startServer = async (name: string, moveSelfToLeaf: boolean, neighbour: boolean) => {
      const dir = join(CGROUP_MOUNT, `wn-v2-deleg-${name}-${process.pid}`);
      made.push(dir);
      await mkdir(dir);
      let sleeper: ChildProcess | undefined;
      if (neighbour) {
        // The other process: in the cgroup before the server starts (it says so once it is).
        sleeper = spawn('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs && echo in && exec sleep 1000`], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const [line] = (await once(createInterface({ input: sleeper.stdout! }), 'line')) as [string];
        assert.equal(line, 'in');
      }
      try {
        const run = await runProgram('/bin/sh', [
          '-c',
          `echo $$ > ${dir}/cgroup.procs && exec "$0" "$@"`,
          process.execPath,
          fixture,
          join(data.path, name),
          moveSelfToLeaf ? 'yes' : 'no',
        ]);
        assert.equal(run.code, 0, run.output);
        return { dir, opened: JSON.parse(run.output.trim().split('\n').pop() ?? '{}') as Opened };
      } finally {
        sleeper?.kill('SIGKILL');
      }
    };

    it('refuses clearly without moveSelfToLeaf, and changes nothing', async () => {
      const { dir, opened } = await startServer('refused', false, false);
      assert.equal(opened.ok, false);
      assert.equal(opened.error?.missing, 'cgroup-delegation');
      assert.match(opened.error?.message ?? '', /EBUSY/);
      assert.match(
        opened.error?.message ?? '',
        new RegExp(`own cgroup ${dir} has processes \\(PIDs \\d+\\)`),
      );
      assert.match(opened.error?.message ?? '', /moveSelfToLeaf/);
      const children = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory());
      assert.deepEqual(children, [], 'no cgroup was made');
    });

    it('works with moveSelfToLeaf: the server moves into a leaf, jobs go under the job root', async () => {
      const { dir, opened } = await startServer('alone', true, false);
      assert.equal(opened.ok, true, JSON.stringify(opened));
      assert.equal(opened.own, `${cgroupPath(dir)}/workernator-supervisor`);
      assert.equal(opened.job, `0::${cgroupPath(dir)}/workernator/${opened.jobId}`);
    });

    it('works with moveSelfToLeaf when another process shares the server’s cgroup', async () => {
      const { opened } = await startServer('shared', true, true);
      assert.equal(opened.ok, true, JSON.stringify(opened));
    });
  },
);
