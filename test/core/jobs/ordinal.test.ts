import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ordinal } from '../../../src/core/jobs/ordinal.js';

it('writes English ordinals, teens included', () => {
  const expected: Record<number, string> = {
    1: '1st',
    2: '2nd',
    3: '3rd',
    4: '4th',
    10: '10th',
    11: '11th',
    12: '12th',
    13: '13th',
    14: '14th',
    21: '21st',
    22: '22nd',
    23: '23rd',
    100: '100th',
    101: '101st',
    102: '102nd',
    103: '103rd',
    111: '111th',
    112: '112th',
    113: '113th',
    1001: '1001st',
    1011: '1011th',
    10_000_000: '10000000th',
  };
  for (const [value, text] of Object.entries(expected)) assert.equal(ordinal(Number(value)), text);
});
