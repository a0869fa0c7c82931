import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyLimitPolicy,
  describeOomKill,
  formatLimit,
  formatMillicores,
} from '../../../src/sandbox/cgroups/limit-policy.js';
import { InvalidLimitError, LimitAboveCapError } from '../../../src/sandbox/errors.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('formatting', () => {
  test('formatMillicores and formatLimit', () => {
    assert.equal(formatMillicores(1000), '1 CPU');
    assert.equal(formatMillicores(1500), '1.5 CPUs');
    assert.equal(formatMillicores(250), '0.25 CPUs');
    assert.equal(formatLimit('ioWriteBytesPerSecond', 2 * MiB), '2 MiB/s');
    // Sizes are spelled by core's formatBytes, as everywhere else (test/core/units.test.ts).
    assert.equal(formatLimit('memoryBytes', 512), '512 bytes');
    assert.equal(formatLimit('ioReadBytesPerSecond', 1), '1 byte/s');
    assert.equal(formatLimit('memoryBytes', 100_000_000), '95.4 MiB');
    assert.equal(formatLimit('ioReadIops', 100), '100 IOPS');
    assert.equal(formatLimit('pids', 32), '32');
  });

  test('describeOomKill', () => {
    assert.equal(describeOomKill({ memoryBytes: 64 * MiB }), 'killed: out of memory (limit 64 MiB)');
    assert.equal(describeOomKill({}), 'killed: out of memory');
  });
});

describe('applyLimitPolicy', () => {
  const defaults = { cpuMillicores: 500, memoryBytes: 256 * MiB, pids: 100 };
  const maxima = { cpuMillicores: 2000, memoryBytes: GiB, pids: 1000, ioWriteBytesPerSecond: 100 * MiB };

  test('fills unset limits from the defaults, the cap where there is no default', () => {
    assert.deepEqual(applyLimitPolicy({ memoryBytes: 64 * MiB }, defaults, maxima), {
      cpuMillicores: 500,
      memoryBytes: 64 * MiB,
      ioWriteBytesPerSecond: 100 * MiB,
      pids: 100,
    });
    assert.deepEqual(applyLimitPolicy({}, {}, {}), {});
    assert.deepEqual(applyLimitPolicy({ ioReadIops: 5 }, {}, {}), { ioReadIops: 5 });
  });

  test('a value at the cap is fine; above it is refused in human units', () => {
    assert.equal(applyLimitPolicy({ memoryBytes: GiB }, defaults, maxima).memoryBytes, GiB);
    assert.throws(
      () => applyLimitPolicy({ memoryBytes: 2 * GiB }, defaults, maxima),
      (err: unknown) => {
        assert.ok(err instanceof LimitAboveCapError);
        assert.equal(err.code, 'WN_LIMIT_ABOVE_CAP');
        assert.equal(err.message, "memory 2 GiB is above the server's cap of 1 GiB");
        assert.equal(err.limit, 'memoryBytes');
        assert.equal(err.value, 2 * GiB);
        assert.equal(err.cap, GiB);
        return true;
      },
    );
    assert.throws(
      () => applyLimitPolicy({ cpuMillicores: 2500 }, defaults, maxima),
      /^LimitAboveCapError: cpu 2.5 CPUs is above the server's cap of 2 CPUs$/,
    );
    assert.throws(
      () => applyLimitPolicy({ ioWriteBytesPerSecond: 200 * MiB }, defaults, maxima),
      /io write bandwidth 200 MiB\/s is above the server's cap of 100 MiB\/s/,
    );
  });

  test('zero, negative, fractional and non-number values are refused', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 60]) {
      assert.throws(
        () => applyLimitPolicy({ pids: bad }, {}, {}),
        (err: unknown) => {
          assert.ok(err instanceof InvalidLimitError);
          assert.equal(err.code, 'WN_INVALID_LIMIT');
          assert.equal(err.limit, 'pids');
          assert.match(err.message, /^process count must be a positive integer, not /);
          return true;
        },
      );
    }
    assert.throws(() => applyLimitPolicy({ pids: '5' as unknown as number }, {}, {}), InvalidLimitError);
  });

  test('values below what the kernel accepts are refused', () => {
    assert.throws(
      () => applyLimitPolicy({ cpuMillicores: 5 }, {}, {}),
      /^InvalidLimitError: cpu 0.005 CPUs is below the minimum of 0.01 CPUs$/,
    );
    assert.throws(
      () => applyLimitPolicy({ memoryBytes: 4096 }, {}, {}),
      /memory 4 KiB is below the minimum of 1 MiB/,
    );
  });

  test('a bad server default or cap is named as such', () => {
    assert.throws(
      () => applyLimitPolicy({}, { memoryBytes: 2 * GiB }, maxima),
      /^LimitAboveCapError: the server's default memory 2 GiB is above its cap of 1 GiB$/,
    );
    assert.throws(
      () => applyLimitPolicy({}, { pids: 0 }, {}),
      /the server's default process count must be a positive/,
    );
    assert.throws(() => applyLimitPolicy({}, {}, { pids: -3 }), /the server's cap for process count must be/);
  });
});
