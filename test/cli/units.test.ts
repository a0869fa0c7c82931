import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValueError } from '../../src/cli/errors.js';
import { parseByteRate, parseBytes, parseCount, parseCpu, parseNonNegative } from '../../src/cli/units.js';

describe('parseCpu', () => {
  it('takes millicores and cores', () => {
    assert.equal(parseCpu('250m'), 250);
    assert.equal(parseCpu('0.5'), 500);
    assert.equal(parseCpu('.25'), 250);
    assert.equal(parseCpu('2'), 2000);
    assert.equal(parseCpu('1.5'), 1500);
    assert.equal(parseCpu('0.001'), 1);
    assert.equal(parseCpu('0.5000'), 500);
  });

  it('refuses zero, finer than a millicore, and words', () => {
    for (const bad of ['0', '0m', '0.0001', '1.2345', 'm', '', '.', '-1', '1 core', '250M', 'abc']) {
      assert.throws(() => parseCpu(bad), ValueError, bad);
    }
  });
});

describe('parseBytes', () => {
  it('takes IEC, k8s and SI units, and plain bytes', () => {
    assert.equal(parseBytes('64MiB'), 64n * 1024n * 1024n);
    assert.equal(parseBytes('64Mi'), 64n * 1024n * 1024n);
    assert.equal(parseBytes('64MB'), 64_000_000n);
    assert.equal(parseBytes('64M'), 64_000_000n);
    assert.equal(parseBytes('1.5GiB'), 1_610_612_736n);
    assert.equal(parseBytes('512'), 512n);
    assert.equal(parseBytes('512B'), 512n);
    assert.equal(parseBytes('2 kib'), 2048n);
  });

  it('refuses unknown units, fractions of a byte, zero and overflow', () => {
    for (const bad of ['64XB', '1.5', '0.1KiB', '0', '0MiB', 'MiB', '-1MiB', '99999999TiB']) {
      assert.throws(() => parseBytes(bad), ValueError, bad);
    }
  });
});

describe('parseByteRate', () => {
  it('takes a size per second, with or without /s', () => {
    assert.equal(parseByteRate('10MB/s'), 10_000_000n);
    assert.equal(parseByteRate('10MiB/s'), 10n * 1024n * 1024n);
    assert.equal(parseByteRate('10MB'), 10_000_000n);
  });

  it('refuses other rates', () => {
    assert.throws(() => parseByteRate('10MB/min'), ValueError);
  });
});

describe('counts', () => {
  it('parseCount takes whole numbers from 1', () => {
    assert.equal(parseCount('64'), 64);
    assert.equal(parseCount('500/s'), 500);
    for (const bad of ['0', '-1', '1.5', 'x', '']) assert.throws(() => parseCount(bad), ValueError, bad);
    assert.throws(() => parseCount('5000000000'), ValueError);
  });

  it('parseNonNegative takes zero', () => {
    assert.equal(parseNonNegative('0'), 0);
    assert.equal(parseNonNegative('123'), 123);
    assert.throws(() => parseNonNegative('-1'), ValueError);
  });
});
