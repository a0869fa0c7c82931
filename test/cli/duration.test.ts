import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDurationShort, formatDurationWords, parseDuration } from '../../src/cli/duration.js';
import { ValueError } from '../../src/cli/errors.js';

describe('parseDuration', () => {
  it('takes ms, s, m, h and combinations', () => {
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('0s'), 0);
  });

  it('refuses a number without a unit, unknown units and garbage', () => {
    for (const bad of ['5', '5x', '5 s', 's', '', '1d', '-5s', '5s!']) {
      assert.throws(() => parseDuration(bad), ValueError, bad);
    }
  });
});

describe('formatDurationWords', () => {
  it('says it in words, as the seed does', () => {
    assert.equal(formatDurationWords(1000), '1 second');
    assert.equal(formatDurationWords(1999), '1 second');
    assert.equal(formatDurationWords(125_000), '2 minutes 5 seconds');
    assert.equal(formatDurationWords(3_600_000), '1 hour');
    assert.equal(formatDurationWords(3_720_000), '1 hour 2 minutes');
    assert.equal(formatDurationWords(90_061_000), '1 day 1 hour 1 minute 1 second');
    assert.equal(formatDurationWords(350), '350 milliseconds');
    assert.equal(formatDurationWords(1), '1 millisecond');
    assert.equal(formatDurationWords(0), '0 milliseconds');
  });

  it('formatDurationShort fits a table cell', () => {
    assert.equal(formatDurationShort(350), '350ms');
    assert.equal(formatDurationShort(12_000), '12s');
    assert.equal(formatDurationShort(125_000), '2m5s');
    assert.equal(formatDurationShort(3_720_000), '1h2m');
    assert.equal(formatDurationShort(90_061_000), '1d1h');
  });
});
