import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CgroupFs } from '../../../src/sandbox/cgroups/cgroupfs.js';
import {
  applyLimitWrites,
  cgroupV1LimitWrites,
  cgroupV2LimitWrites,
} from '../../../src/sandbox/cgroups/limits.js';
import { parseV1Usage, parseV2Usage } from '../../../src/sandbox/cgroups/usage.js';
import { SandboxUnavailableError } from '../../../src/sandbox/errors.js';

const MiB = 1024 * 1024;
const vda = { major: 254, minor: 0 };
const all = {
  cpuMillicores: 1500,
  memoryBytes: 64 * MiB,
  ioReadBytesPerSecond: 10 * MiB,
  ioWriteBytesPerSecond: 5 * MiB,
  ioReadIops: 1000,
  ioWriteIops: 500,
  pids: 64,
};

describe('limit file writes', () => {
  test('v1: every limit, memsw after limit_in_bytes', () => {
    assert.deepEqual(cgroupV1LimitWrites(all, vda), [
      { controller: 'cpu', file: 'cpu.cfs_period_us', value: '100000' },
      { controller: 'cpu', file: 'cpu.cfs_quota_us', value: '150000' },
      { controller: 'memory', file: 'memory.limit_in_bytes', value: '67108864' },
      { controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: '67108864', ifExists: true },
      { controller: 'memory', file: 'memory.swappiness', value: '0', ifExists: true, bestEffort: true },
      { controller: 'pids', file: 'pids.max', value: '64' },
      { controller: 'blkio', file: 'blkio.throttle.read_bps_device', value: '254:0 10485760' },
      { controller: 'blkio', file: 'blkio.throttle.write_bps_device', value: '254:0 5242880' },
      { controller: 'blkio', file: 'blkio.throttle.read_iops_device', value: '254:0 1000' },
      { controller: 'blkio', file: 'blkio.throttle.write_iops_device', value: '254:0 500' },
    ]);
  });

  test('v2: every limit', () => {
    assert.deepEqual(cgroupV2LimitWrites(all, vda), [
      { file: 'cpu.max', value: '150000 100000' },
      { file: 'memory.max', value: '67108864' },
      { file: 'memory.swap.max', value: '0', ifExists: true },
      { file: 'io.max', value: '254:0 rbps=10485760 wbps=5242880 riops=1000 wiops=500' },
      { file: 'pids.max', value: '64' },
    ]);
  });

  test('no limits, no writes; no device needed without io limits', () => {
    assert.deepEqual(cgroupV1LimitWrites({}), []);
    assert.deepEqual(cgroupV2LimitWrites({}), []);
    assert.deepEqual(cgroupV2LimitWrites({ pids: 3 }), [{ file: 'pids.max', value: '3' }]);
    assert.deepEqual(cgroupV2LimitWrites({ cpuMillicores: 10 }), [{ file: 'cpu.max', value: '1000 100000' }]);
  });

  test('io limits without a device are refused', () => {
    assert.throws(() => cgroupV1LimitWrites({ ioReadIops: 1 }), SandboxUnavailableError);
    assert.throws(() => cgroupV2LimitWrites({ ioWriteBytesPerSecond: 1 }), /io limits need a block device/);
  });
});

describe('usage parsing', () => {
  test('v2', () => {
    assert.deepEqual(
      parseV2Usage({
        cpuStat: 'usage_usec 318677\nuser_usec 300000\nsystem_usec 18677\nnr_periods 34\n',
        memoryPeak: '67108864\n',
        memoryEvents: 'low 0\nhigh 0\nmax 306\noom 1\noom_kill 1\noom_group_kill 0\n',
      }),
      { cpuTimeMicros: 318677, peakMemoryBytes: 67108864, oomKilled: true },
    );
    assert.deepEqual(parseV2Usage({ cpuStat: 'usage_usec 5\n', memoryEvents: 'oom_kill 0\n' }), {
      cpuTimeMicros: 5,
      oomKilled: false,
    });
    assert.deepEqual(parseV2Usage({}), {});
  });

  test('v1', () => {
    assert.deepEqual(
      parseV1Usage({
        cpuacctUsage: '1234567891\n',
        memoryMaxUsage: '1048576\n',
        memoryOomControl: 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
      }),
      { cpuTimeMicros: 1234567, peakMemoryBytes: 1048576, oomKilled: true },
    );
    // Kernels before 4.13 have no oom_kill line.
    assert.deepEqual(parseV1Usage({ memoryOomControl: 'oom_kill_disable 0\nunder_oom 0\n' }), {});
  });
});

/** Records writes; a write to a file named in `failing` fails with EINVAL after `delayMs`. */
function recordingFs(failing: Record<string, number> = {}): CgroupFs & { log: string[] } {
  const log: string[] = [];
  const unused = () => Promise.reject(new Error('not used'));
  return {
    log,
    readFile: unused,
    mkdir: unused,
    rmdir: unused,
    subdirs: unused,
    exists: (path) => Promise.resolve(!path.endsWith('missing')),
    async writeFile(path, data) {
      const file = path.split('/').pop() ?? '';
      const delayMs = failing[file];
      if (delayMs !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        throw Object.assign(new Error(`EINVAL: ${path}`), { code: 'EINVAL' });
      }
      log.push(`${path}=${data}`);
      // Yield, so that writes of different directories interleave.
      await Promise.resolve();
    },
  };
}

describe('applyLimitWrites', () => {
  test('keeps the order within a directory, skips missing ifExists files, ignores bestEffort failures', async () => {
    const fs = recordingFs({ 'memory.swappiness': 0 });
    const writes = cgroupV1LimitWrites({ cpuMillicores: 500, memoryBytes: 64 * MiB, pids: 8 });
    await applyLimitWrites(fs, writes, (w) => `/cg/${w.controller}`);
    const memory = fs.log.filter((line) => line.startsWith('/cg/memory/'));
    assert.deepEqual(memory, [
      `/cg/memory/memory.limit_in_bytes=${64 * MiB}`,
      `/cg/memory/memory.memsw.limit_in_bytes=${64 * MiB}`,
    ]);
    assert.deepEqual(
      fs.log.filter((line) => line.startsWith('/cg/cpu/')),
      ['/cg/cpu/cpu.cfs_period_us=100000', '/cg/cpu/cpu.cfs_quota_us=50000'],
    );
    assert.ok(fs.log.includes('/cg/pids/pids.max=8'));

    const skipping = recordingFs();
    await applyLimitWrites(skipping, [{ file: 'missing', value: '1', ifExists: true }], () => '/cg/x');
    assert.deepEqual(skipping.log, []);
  });

  test('with several failures, the first in the given order is thrown, even when it fails last', async () => {
    const fs = recordingFs({ 'cpu.cfs_period_us': 30, 'pids.max': 0 });
    const writes = cgroupV1LimitWrites({ cpuMillicores: 500, pids: 8 });
    await assert.rejects(
      applyLimitWrites(fs, writes, (w) => `/cg/${w.controller}`),
      /write cpu\.cfs_period_us = 100000: EINVAL/,
    );
    // The quota is never written after its period failed.
    assert.ok(!fs.log.some((line) => line.includes('cfs_quota_us')));
  });
});
