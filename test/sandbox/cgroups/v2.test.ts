import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CgroupV2Layout } from '../../../src/sandbox/cgroups/detect.js';
import { CgroupV2Backend } from '../../../src/sandbox/cgroups/v2.js';
import { CgroupSetupError, CgroupSweepError, SandboxUnavailableError } from '../../../src/sandbox/errors.js';
import { FakeCgroupKernel, type FakeKernelOptions } from './fake-cgroupfs.js';

const MiB = 1024 * 1024;
let tmp: string;

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'wn-cg2-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

let counter = 0;
/** A fresh fake hierarchy with the server in /srv (which has no processes unless a test adds some). */
function setup(options: FakeKernelOptions = {}, backendOptions: { moveSelfToLeaf?: boolean } = {}) {
  const mount = join(tmp, `cg${counter++}`);
  const kernel = new FakeCgroupKernel(mount, options);
  writeFileSync(join(mount, 'cgroup.subtree_control'), 'cpu io memory pids\n');
  const own = join(mount, 'srv');
  kernel.mkcg(own);
  const layout: CgroupV2Layout = {
    version: 2,
    mountPoint: mount,
    ownPath: '/srv',
    ownDir: own,
    controllers: ['cpu', 'io', 'memory', 'pids'],
  };
  const backend = new CgroupV2Backend(layout, {
    fs: kernel,
    rootName: 'wn',
    ioDevice: { major: 254, minor: 0 },
    selfPid: 4242,
    ...backendOptions,
  });
  return { kernel, own, root: join(own, 'wn'), backend, layout };
}

/** Lets pending I/O callbacks run (no timers): enough for a wrongly resolved promise to show. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('cgroup v2 backend on a fake tree', () => {
  test('init enables the controllers in the own cgroup and in the job root', async () => {
    const { kernel, own, root, backend } = setup();
    await backend.init();
    assert.equal(kernel.read(join(own, 'cgroup.subtree_control')).trim(), 'cpu memory io pids');
    assert.equal(kernel.read(join(root, 'cgroup.subtree_control')).trim(), 'cpu memory io pids');
    assert.deepEqual(backend.rootDirs, [root]);
    await backend.init(); // idempotent, and writes nothing new
    assert.equal(kernel.writes.filter((w) => w.path.endsWith('subtree_control')).length, 2);
  });

  test('init refuses when the own cgroup has processes, unless moveSelfToLeaf', async () => {
    const busy = setup();
    busy.kernel.setProcs(busy.own, [4242]);
    await assert.rejects(busy.backend.init(), (err: unknown) => {
      assert.ok(err instanceof SandboxUnavailableError);
      assert.equal(err.code, 'WN_SANDBOX_UNAVAILABLE');
      assert.match(err.message, /EBUSY/);
      assert.match(err.message, /PIDs 4242/);
      assert.match(err.message, /moveSelfToLeaf/);
      return true;
    });
    assert.equal(existsSync(busy.root), false, 'nothing was created');
    assert.equal(busy.kernel.read(join(busy.own, 'cgroup.procs')), '4242\n', 'nothing was moved');

    const moved = setup({}, { moveSelfToLeaf: true });
    moved.kernel.setProcs(moved.own, [4242]);
    await moved.backend.init();
    const leaf = join(moved.own, 'wn-supervisor');
    assert.equal(moved.backend.supervisorDir, leaf);
    assert.equal(moved.kernel.read(join(leaf, 'cgroup.procs')), '4242\n');
    assert.equal(moved.kernel.read(join(moved.own, 'cgroup.procs')), '');
    assert.equal(moved.kernel.read(join(moved.own, 'cgroup.subtree_control')).trim(), 'cpu memory io pids');
    assert.ok(existsSync(moved.root));

    // Every process of the own cgroup moves, not only the server.
    const crowded = setup({}, { moveSelfToLeaf: true });
    crowded.kernel.setProcs(crowded.own, [4242, 777]);
    await crowded.backend.init();
    const crowdedLeaf = join(crowded.own, 'wn-supervisor');
    assert.deepEqual(
      crowded.kernel.read(join(crowdedLeaf, 'cgroup.procs')).split('\n').filter(Boolean).sort(),
      ['4242', '777'],
    );

    // A second backend in the same process, now in the leaf, still uses the cgroup above it.
    const again = new CgroupV2Backend(
      { ...moved.layout, ownDir: leaf, ownPath: '/srv/wn-supervisor' },
      { fs: moved.kernel, rootName: 'wn', moveSelfToLeaf: true, selfPid: 4242 },
    );
    assert.equal(again.rootDir, moved.root);
    await again.init();
  });

  test('create writes every limit in the job directory', async () => {
    const { kernel, root, backend } = setup();
    await backend.init();
    const job = await backend.create('JOB1', {
      cpuMillicores: 500,
      memoryBytes: 64 * MiB,
      ioReadBytesPerSecond: MiB,
      ioWriteBytesPerSecond: 2 * MiB,
      ioReadIops: 100,
      ioWriteIops: 200,
      pids: 32,
    });
    const dir = join(root, 'JOB1');
    assert.deepEqual(job.dirs, [dir]);
    assert.deepEqual(job.shimArgs, ['--cgroup2', dir]);
    assert.equal(job.hasEmptyEvent, true);
    assert.equal(kernel.read(join(dir, 'cpu.max')), '50000 100000');
    assert.equal(kernel.read(join(dir, 'memory.max')), String(64 * MiB));
    assert.equal(kernel.read(join(dir, 'memory.swap.max')), '0');
    assert.equal(kernel.read(join(dir, 'io.max')), '254:0 rbps=1048576 wbps=2097152 riops=100 wiops=200');
    assert.equal(kernel.read(join(dir, 'pids.max')), '32');
  });

  test('create with no limits writes nothing; partial io limits write only those keys', async () => {
    const { kernel, root, backend } = setup();
    await backend.init();
    const before = kernel.writes.length;
    await backend.create('NOLIM', {});
    assert.equal(kernel.writes.length, before);
    await backend.create('IOW', { ioWriteIops: 7 });
    assert.equal(kernel.read(join(root, 'IOW', 'io.max')), '254:0 wiops=7');
  });

  test('memory.swap.max is skipped where the kernel has no swap accounting', async () => {
    const { kernel, root, backend } = setup({ swap: false });
    await backend.init();
    await backend.create('NOSWAP', { memoryBytes: 64 * MiB });
    assert.equal(existsSync(join(root, 'NOSWAP', 'memory.swap.max')), false);
    assert.equal(kernel.read(join(root, 'NOSWAP', 'memory.max')), String(64 * MiB));
  });

  test('a failed write names the file and value, and leaves no cgroup behind', async () => {
    const { kernel, root, backend } = setup();
    await backend.init();
    kernel.failNext = { suffix: 'pids.max', code: 'EINVAL' };
    await assert.rejects(backend.create('BAD', { memoryBytes: 64 * MiB, pids: 32 }), (err: unknown) => {
      assert.ok(err instanceof CgroupSetupError);
      assert.equal(err.code, 'WN_CGROUP_SETUP');
      assert.equal(err.errno, 'EINVAL');
      assert.match(err.message, /^write pids\.max = 32: EINVAL/);
      assert.equal((err.cause as NodeJS.ErrnoException).code, 'EINVAL');
      return true;
    });
    assert.equal(existsSync(join(root, 'BAD')), false);
  });

  test('io limits without a block device are refused before anything is made', async () => {
    const mount = join(tmp, `cg${counter++}`);
    const kernel = new FakeCgroupKernel(mount);
    writeFileSync(join(mount, 'cgroup.subtree_control'), 'cpu io memory pids\n');
    const backend = new CgroupV2Backend(
      { version: 2, mountPoint: mount, ownPath: '/', ownDir: mount, controllers: [] },
      { fs: kernel, rootName: 'wn' },
    );
    await backend.init();
    await assert.rejects(backend.create('IO', { ioReadIops: 5 }), SandboxUnavailableError);
    assert.equal(existsSync(join(mount, 'wn', 'IO')), false);
  });

  test('unsafe job IDs and existing job cgroups are refused', async () => {
    const { backend } = setup();
    await backend.init();
    await assert.rejects(backend.create('../x', {}), /invalid cgroup name/);
    await assert.rejects(backend.create('', {}), /invalid cgroup name/);
    await backend.create('TWICE', {});
    await assert.rejects(backend.create('TWICE', {}), /EEXIST/);
  });

  test('waitEmpty resolves on the populated 0 event, and at once when already empty', async () => {
    const { root, backend } = setup();
    await backend.init();
    const job = await backend.create('WAIT', {});
    await job.waitEmpty(); // populated 0 from the start

    const events = join(root, 'WAIT', 'cgroup.events');
    writeFileSync(events, 'populated 1\nfrozen 0\n');
    let resolved = false;
    const waiting = job.waitEmpty().then(() => {
      resolved = true;
    });
    await settle();
    assert.equal(resolved, false, 'still populated');
    await writeFile(events, 'populated 1\nfrozen 1\n'); // an unrelated change wakes it, but it waits on
    await settle();
    assert.equal(resolved, false);
    await writeFile(events, 'populated 0\nfrozen 0\n');
    await waiting;
    assert.equal(resolved, true);
  });

  test('waitEmpty rejects on abort and resolves once the cgroup is gone', async () => {
    const { kernel, root, backend } = setup();
    await backend.init();
    const job = await backend.create('ABORT', {});
    kernel.setProcs(join(root, 'ABORT'), [99999999]);
    const ac = new AbortController();
    const waiting = job.waitEmpty(ac.signal);
    ac.abort(new Error('stop waiting'));
    await assert.rejects(waiting, /stop waiting/);

    const gone = job.waitEmpty();
    rmSync(join(root, 'ABORT'), { recursive: true });
    await gone;
  });

  test('killAll writes cgroup.kill where it exists', async () => {
    const { kernel, root, backend } = setup();
    await backend.init();
    const job = await backend.create('KILL', {});
    await job.killAll();
    assert.ok(kernel.writes.some((w) => w.path === join(root, 'KILL', 'cgroup.kill') && w.value === '1'));
    await job.remove();
    await job.killAll(); // a removed cgroup is fine
  });

  test('killAll without cgroup.kill freezes, kills each process, thaws', async () => {
    const { kernel, root, backend } = setup({ cgroupKill: false });
    await backend.init();
    const job = await backend.create('FREEZE', {});
    const dir = join(root, 'FREEZE');
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      kernel.setProcs(dir, [child.pid!]);
      const exited = once(child, 'exit');
      await job.killAll();
      const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
      assert.equal(code, null);
      assert.equal(signal, 'SIGKILL');
      const freezes = kernel.writes.filter((w) => w.path === join(dir, 'cgroup.freeze')).map((w) => w.value);
      assert.deepEqual(freezes, ['1', '0']);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('readUsage parses cpu.stat, memory.peak and memory.events', async () => {
    const { root, backend } = setup();
    await backend.init();
    const job = await backend.create('USE', { memoryBytes: 64 * MiB });
    const dir = join(root, 'USE');
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n');
    writeFileSync(join(dir, 'memory.peak'), '67108864\n');
    writeFileSync(
      join(dir, 'memory.events'),
      'low 0\nhigh 0\nmax 306\noom 1\noom_kill 1\noom_group_kill 0\n',
    );
    assert.deepEqual(await job.readUsage(), {
      cpuTimeMicros: 123456,
      peakMemoryBytes: 64 * MiB,
      oomKilled: true,
    });
    rmSync(join(dir, 'memory.peak'));
    writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
    assert.deepEqual(await job.readUsage(), { cpuTimeMicros: 123456, oomKilled: false });
  });

  test('remove deletes the job cgroup and its children; it is idempotent', async () => {
    const { kernel, root, backend } = setup();
    await backend.init();
    const job = await backend.create('RM', {});
    kernel.mkcg(join(root, 'RM', 'nested')); // made by a job running as root
    await job.remove();
    assert.equal(existsSync(join(root, 'RM')), false);
    await job.remove();
  });

  test('remove gives up after bounded EBUSY retries, naming the processes', async () => {
    const { kernel, root, backend } = setup();
    await backend.init();
    const job = await backend.create('STUCK', {});
    kernel.setProcs(join(root, 'STUCK'), [99999999]);
    await assert.rejects(
      job.remove(),
      /rmdir .*STUCK: EBUSY after 10 tries \(processes still inside: 99999999\)/,
    );
    kernel.setProcs(join(root, 'STUCK'), []);
    await job.remove();
  });

  test('sweep kills and removes leftover job cgroups and returns their IDs', async () => {
    const { kernel, root, backend } = setup();
    await backend.init();
    assert.deepEqual(await backend.sweep(), []);
    await backend.create('OLD2', {});
    await backend.create('OLD1', { pids: 3 });
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      kernel.setProcs(join(root, 'OLD2'), [child.pid!]);
      const exited = once(child, 'exit');
      assert.deepEqual(await backend.sweep(), ['OLD1', 'OLD2']);
      assert.deepEqual((await exited)[1], 'SIGKILL');
      assert.equal(existsSync(join(root, 'OLD1')), false);
      assert.equal(existsSync(join(root, 'OLD2')), false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('sweep reports the cgroups it could not remove, after removing the others', async () => {
    const { kernel, root, backend } = setup({ cgroupKill: false });
    await backend.init();
    await backend.create('FINE', {});
    await backend.create('HELD', {});
    kernel.mkcg(join(root, 'HELD', 'inner'));
    kernel.setProcs(join(root, 'HELD', 'inner'), [99999999]); // a process the kill cannot reach
    await assert.rejects(backend.sweep(), (err: unknown) => {
      assert.ok(err instanceof CgroupSweepError);
      assert.deepEqual(err.removed, ['FINE']);
      assert.deepEqual(
        err.failed.map((f) => f.jobId),
        ['HELD'],
      );
      return true;
    });
    kernel.setProcs(join(root, 'HELD', 'inner'), []);
    assert.deepEqual(await backend.sweep(), ['HELD']);
  });

  test('close removes an empty job root and keeps one with jobs', async () => {
    const { root, backend } = setup();
    await backend.init();
    const job = await backend.create('KEEP', {});
    await backend.close();
    assert.ok(existsSync(root));
    await job.remove();
    await backend.close();
    assert.equal(existsSync(root), false);
    await backend.close();
  });
});
