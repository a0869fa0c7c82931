import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes } from '../../src/core/units.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe('formatBytes', () => {
  it('spells small sizes out in bytes', () => {
    assert.equal(formatBytes(0), '0 bytes');
    assert.equal(formatBytes(1), '1 byte');
    assert.equal(formatBytes(512), '512 bytes');
    assert.equal(formatBytes(1023), '1023 bytes');
  });

  it('uses binary units from 1 KiB on', () => {
    assert.equal(formatBytes(KiB), '1 KiB');
    assert.equal(formatBytes(64 * MiB), '64 MiB');
    assert.equal(formatBytes(1.5 * GiB), '1.5 GiB');
    assert.equal(formatBytes(3 * 1024 * GiB), '3 TiB');
    assert.equal(formatBytes(2 * 1024 ** 5), '2 PiB');
    assert.equal(formatBytes(4096 * 1024 ** 5), '4096 PiB');
  });

  it('keeps two decimals below 10 and one from 10 on, without trailing zeros', () => {
    assert.equal(formatBytes(10_000), '9.77 KiB');
    assert.equal(formatBytes(100_000_000), '95.4 MiB');
    assert.equal(formatBytes(1.25 * MiB), '1.25 MiB');
    assert.equal(formatBytes(10.5 * MiB), '10.5 MiB');
    assert.equal(formatBytes(1.001 * MiB), '1 MiB');
  });

  it('moves up a unit when rounding reaches 1024', () => {
    assert.equal(formatBytes(MiB - 1), '1 MiB');
    assert.equal(formatBytes(GiB - 1), '1 GiB');
  });
});
