import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidJobIdError } from '../../src/core/errors.js';
import {
  JOB_ID_ALPHABET,
  JOB_ID_LENGTH,
  assertValidJobId,
  isValidJobId,
  newJobId,
} from '../../src/core/ids.js';

const INVALID_IDS: readonly unknown[] = [
  '',
  '../x',
  '../../etc/passwd',
  'xe38ym',
  'Xe38YM',
  'XE38Y0',
  'XE38YO',
  'XE38Y1',
  'XE38YI',
  'XE38Y',
  'XE38YMX',
  'XE38YM\n',
  ' XE38YM',
  'XE3 YM',
  'XE38Y%',
  'A'.repeat(1024),
  '\uFF38E38YM', // fullwidth X
  '\u0425\u041538\u0423\u041C', // Cyrillic look-alikes of XE38YM
  'XE38Y\u039C', // Greek capital mu
  undefined,
  null,
  123456,
  {},
  ['XE38YM'],
  new String('XE38YM'),
];

describe('job IDs', () => {
  it('uses 32 distinct characters without 0, O, 1 and I', () => {
    assert.equal(JOB_ID_ALPHABET.length, 32);
    assert.equal(new Set(JOB_ID_ALPHABET).size, 32);
    for (const forbidden of '0O1I') assert.ok(!JOB_ID_ALPHABET.includes(forbidden), forbidden);
    for (const char of JOB_ID_ALPHABET) assert.match(char, /^[A-Z2-9]$/);
  });

  it('accepts every character of the alphabet and the seed example', () => {
    assert.ok(isValidJobId('XE38YM'));
    for (const char of JOB_ID_ALPHABET) assert.ok(isValidJobId(char.repeat(6)), char);
  });

  it('draws 10,000 valid, well-spread IDs', () => {
    const ids = Array.from({ length: 10_000 }, () => newJobId());
    const counts = new Map<string, number>();
    const perPosition = Array.from({ length: JOB_ID_LENGTH }, () => new Set<string>());
    for (const id of ids) {
      assert.ok(isValidJobId(id), id);
      assert.equal(id.length, JOB_ID_LENGTH);
      assert.doesNotMatch(id, /[0O1I]/);
      [...id].forEach((char, position) => {
        perPosition[position]?.add(char);
        counts.set(char, (counts.get(char) ?? 0) + 1);
      });
    }
    // Among 10^4 draws from 2^30, a collision is unlikely (p about 5%); two or more are far less so.
    assert.ok(new Set(ids).size >= ids.length - 2);
    // Every character shows up in every position (each expected about 312 times).
    for (const seen of perPosition) assert.equal(seen.size, 32);
    // 60,000 characters: about 1,875 each, standard deviation about 43; 400 is over 9 sigma.
    for (const char of JOB_ID_ALPHABET) {
      const count = counts.get(char) ?? 0;
      assert.ok(Math.abs(count - 1875) < 400, `${char} appeared ${count} times`);
    }
  });

  it('refuses everything else', () => {
    for (const id of INVALID_IDS) {
      assert.equal(isValidJobId(id), false, JSON.stringify(id));
      assert.throws(() => assertValidJobId(id), InvalidJobIdError, JSON.stringify(id));
    }
  });

  it('assertValidJobId returns the ID, or throws WN_INVALID_JOB_ID with a bounded message', () => {
    assert.equal(assertValidJobId('XE38YM'), 'XE38YM');
    assert.throws(
      () => assertValidJobId('A'.repeat(1024)),
      (error: unknown) =>
        error instanceof InvalidJobIdError &&
        error.code === 'WN_INVALID_JOB_ID' &&
        error.message.length < 300,
    );
    assert.throws(() => assertValidJobId(42), /invalid job ID "<number>"/);
  });
});
