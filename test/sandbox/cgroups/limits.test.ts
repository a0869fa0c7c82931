import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cgroupV1LimitWrites, cgroupV2LimitWrites } from '../../../src/sandbox/cgroups/limits.js';
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
