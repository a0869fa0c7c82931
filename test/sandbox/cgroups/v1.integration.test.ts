/**
 * cgroup v1 on this host, as root, with REAL cgroups: under the test process's own cgroup in each
 * hierarchy, with a root name unique to this run; the test process itself never moves. Run twice:
 * with the hybrid host's unified tree (cgroup.kill, populated events) and with plain v1 (freezer).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BlockDevice, blockDeviceOfPath } from '../../../src/sandbox/cgroups/block-device.js';
import { type CgroupLayout, detectCgroups } from '../../../src/sandbox/cgroups/detect.js';
import { CgroupV1Backend } from '../../../src/sandbox/cgroups/v1.js';
import { CgroupSetupError } from '../../../src/sandbox/errors.js';

const MiB = 1024 * 1024;

let layout: CgroupLayout | undefined;
let skip: string | false = false;
try {
  layout = await detectCgroups();
  if (process.getuid?.() !== 0) skip = 'needs root';
  else if (layout.version !== 1) skip = `this host has cgroup v${layout.version}`;
} catch (err) {
  skip = `no usable cgroups: ${(err as Error).message}`;
}
const ioDevice: BlockDevice | undefined = await blockDeviceOfPath(tmpdir()).catch(() => undefined);

const read = (path: string): string => readFileSync(path, 'utf8').trim();

/** Spawns `command` placed in `dirs` (written to each cgroup.procs before exec); resolves once placed. */
async function spawnPlaced(dirs: readonly string[], command: string): Promise<ChildProcess> {
  const script =
    'for d in "$@"; do echo $$ > "$d/cgroup.procs" || exit 99; done; echo placed; exec ' + command;
  const child = spawn('sh', ['-c', script, 'sh', ...dirs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(chunk.toString().trim(), 'placed');
  return child;
}

/** Last-resort cleanup of everything under the test's roots: kill what is inside, rmdir bottom-up. */
function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) removeTree(join(dir, e.name));
  for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  try {
    rmdirSync(dir);
  } catch (err) {
    console.error(`cleanup: ${(err as Error).message}`);
  }
}

for (const useUnified of [true, false]) {
  const unifiedAvailable = layout?.version === 1 && layout.unified !== undefined;
  const variantSkip =
    skip || (useUnified && !unifiedAvailable ? 'no unified cgroup2 tree on this host' : false);
  describe(
    `cgroup v1 backend, real cgroups, ${useUnified ? 'with' : 'without'} the unified tree`,
    {
      skip: variantSkip,
    },
    () => {
      let backend: CgroupV1Backend;
      const children: ChildProcess[] = [];

      before(async () => {
        assert.ok(layout?.version === 1);
        backend = new CgroupV1Backend(layout, {
          rootName: `workernator-test-${process.pid}-${useUnified ? 'u' : 'v1'}`,
          useUnified,
          ioDevice,
        });
        await backend.init();
      });

      after(() => {
        for (const child of children) child.kill('SIGKILL');
        for (const root of backend?.rootDirs ?? []) removeTree(root);
      });

      test('the job roots sit under the test process own cgroup in each hierarchy', () => {
        assert.ok(layout?.version === 1);
        assert.equal(backend.usesUnified, useUnified);
        for (const h of Object.values(layout.hierarchies)) {
          assert.ok(
            backend.rootDirs.some((d) => d.startsWith(`${h.ownDir}/workernator-test-`)),
            h.ownDir,
          );
        }
        // cpu and cpuacct share a directory when comounted; never one dir listed twice.
        assert.equal(new Set(backend.rootDirs).size, backend.rootDirs.length);
        for (const dir of backend.rootDirs) assert.ok(existsSync(dir), dir);
      });

      test('create writes the limits; remove deletes every directory', async () => {
        const job = await backend.create('LIMITS', {
          cpuMillicores: 500,
          memoryBytes: 64 * MiB,
          pids: 32,
          ...(ioDevice ? { ioReadBytesPerSecond: MiB, ioWriteIops: 200 } : {}),
        });
        assert.ok(layout?.version === 1);
        const dirOf = (c: 'cpu' | 'memory' | 'pids' | 'blkio'): string => {
          const dir = job.dirs.find((d) => d.startsWith(`${layout.hierarchies[c].ownDir}/`));
          assert.ok(dir, c);
          return dir;
        };
        assert.equal(job.hasEmptyEvent, useUnified);
        assert.deepEqual(
          job.shimArgs,
          job.dirs.flatMap((d) => ['--cgroup', d]),
        );
        assert.equal(read(join(dirOf('cpu'), 'cpu.cfs_period_us')), '100000');
        assert.equal(read(join(dirOf('cpu'), 'cpu.cfs_quota_us')), '50000');
        assert.equal(read(join(dirOf('memory'), 'memory.limit_in_bytes')), String(64 * MiB));
        const memsw = join(dirOf('memory'), 'memory.memsw.limit_in_bytes');
        if (existsSync(memsw)) assert.equal(read(memsw), String(64 * MiB));
        assert.equal(read(join(dirOf('pids'), 'pids.max')), '32');
        if (ioDevice) {
          const dev = `${ioDevice.major}:${ioDevice.minor}`;
          assert.equal(read(join(dirOf('blkio'), 'blkio.throttle.read_bps_device')), `${dev} ${MiB}`);
          assert.equal(read(join(dirOf('blkio'), 'blkio.throttle.write_iops_device')), `${dev} 200`);
        }
        await job.remove();
        for (const dir of job.dirs) assert.equal(existsSync(dir), false, dir);
        await job.remove();
      });

      test('a value the kernel refuses fails with the file named and leaves no directory', async () => {
        // 1 millicore = a 100 us quota, below CFS's 1 ms minimum (applyLimitPolicy refuses it earlier).
        await assert.rejects(
          backend.create('BADCPU', { memoryBytes: 64 * MiB, cpuMillicores: 1 }),
          (err: unknown) => {
            assert.ok(err instanceof CgroupSetupError);
            assert.match(err.message, /^write cpu\.cfs_quota_us = 100: EINVAL/);
            return true;
          },
        );
        for (const root of backend.rootDirs) assert.equal(existsSync(join(root, 'BADCPU')), false, root);
      });

      test('killAll kills a process placed in the cgroups; usage is read; remove cleans up', async () => {
        const job = await backend.create('KILL', { memoryBytes: 256 * MiB, pids: 16 });
        const child = await spawnPlaced(job.dirs, 'sleep 1000');
        children.push(child);
        for (const dir of job.dirs) assert.equal(read(join(dir, 'cgroup.procs')), String(child.pid), dir);
        const exited = once(child, 'exit');
        await job.killAll();
        const [code, signal] = (await exited) as [number | null, string | null];
        assert.equal(code, null);
        assert.equal(signal, 'SIGKILL');
        await job.waitEmpty();
        const usage = await job.readUsage();
        assert.equal(typeof usage.cpuTimeMicros, 'number');
        assert.ok(usage.peakMemoryBytes! > 0);
        assert.equal(usage.oomKilled, false);
        await job.remove();
        for (const dir of job.dirs) assert.equal(existsSync(dir), false, dir);
      });

      test('a process above its memory limit is OOM-killed, and readUsage says so', async () => {
        const job = await backend.create('OOM', { memoryBytes: 64 * MiB });
        const hog = `'${process.execPath}' -e 'const a=[];for(let i=0;i<256;i++)a.push(Buffer.alloc(1<<20,1))'`;
        const child = await spawnPlaced(job.dirs, hog);
        children.push(child);
        const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
        assert.equal(code, null);
        assert.equal(signal, 'SIGKILL');
        await job.waitEmpty();
        const usage = await job.readUsage();
        assert.equal(usage.oomKilled, true);
        assert.ok(usage.peakMemoryBytes! <= 64 * MiB, `peak ${usage.peakMemoryBytes}`);
        await job.remove();
      });

      test('waitEmpty: by event with the unified tree, else it refuses while processes remain', async () => {
        const job = await backend.create('WAIT', {});
        const child = await spawnPlaced(job.dirs, 'sleep 1000');
        children.push(child);
        if (useUnified) {
          const emptied = job.waitEmpty();
          child.kill('SIGKILL');
          await emptied;
        } else {
          await assert.rejects(job.waitEmpty(), /still has processes .*wait for the job's shim to exit/);
          const exited = once(child, 'exit');
          child.kill('SIGKILL');
          await exited;
          await job.waitEmpty();
        }
        await job.remove();
      });

      test('sweep kills and removes a leftover job cgroup holding a live process', async () => {
        const job = await backend.create('LEFTOVER', { pids: 8 });
        const child = await spawnPlaced(job.dirs, 'sleep 1000');
        children.push(child);
        const exited = once(child, 'exit');
        assert.deepEqual(await backend.sweep(), ['LEFTOVER']);
        assert.equal(((await exited) as [number | null, string | null])[1], 'SIGKILL');
        for (const dir of job.dirs) assert.equal(existsSync(dir), false, dir);
        assert.deepEqual(await backend.sweep(), []);
      });

      test('close removes the job roots', async () => {
        await backend.close();
        for (const dir of backend.rootDirs) assert.equal(existsSync(dir), false, dir);
      });
    },
  );
}
