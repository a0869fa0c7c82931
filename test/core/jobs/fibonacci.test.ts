import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import {
  fibonacci,
  fibonacciByDoubling,
  fibonacciJob,
  FIBONACCI_LOOKUP_SIZE,
  MAX_FIBONACCI_POSITION,
  runFibonacci,
} from '../../../src/core/jobs/fibonacci.js';
import type { FibonacciArguments } from '../../../src/core/types.js';
import { CapturedOutput, FIXED_STAMP, fixedClock } from './job-output.js';

/** The obvious way, independent of both code paths under test: F(1) = 0, F(2) = 1. */
function fibonacciByIteration(position: number): bigint {
  let [current, next] = [0n, 1n];
  for (let step = 1; step < position; step++) [current, next] = [next, current + next];
  return current;
}

const args = (position: unknown): FibonacciArguments =>
  ({ type: 'fibonacci', position }) as unknown as FibonacciArguments;

describe('fibonacci values', () => {
  it('starts F(1) = 0, F(2) = 1, F(3) = 1 and has F(10) = 34', () => {
    assert.equal(fibonacci(1), 0n);
    assert.equal(fibonacci(2), 1n);
    assert.equal(fibonacci(3), 1n);
    assert.equal(fibonacci(4), 2n);
    assert.equal(fibonacci(10), 34n);
  });

  it('has F(94) = 12200160415121876738, the end of the lookup table', () => {
    assert.equal(FIBONACCI_LOOKUP_SIZE, 94);
    assert.equal(fibonacci(94), 12200160415121876738n);
    assert.equal(fibonacci(95), 12200160415121876738n + 7540113804746346429n);
  });

  it('computes by doubling the same values as the lookup table holds', () => {
    for (let position = 1; position <= FIBONACCI_LOOKUP_SIZE + 1; position++) {
      assert.equal(fibonacciByDoubling(position), fibonacciByIteration(position), `F(${position})`);
      assert.equal(fibonacci(position), fibonacciByIteration(position), `F(${position})`);
    }
  });

  it('is exact for large positions', () => {
    for (const position of [1000, 4097, 20_000]) {
      assert.equal(fibonacci(position), fibonacciByIteration(position), `F(${position})`);
    }
    assert.equal(fibonacci(20_000).toString().length, 4180);
  });
});

describe('fibonacci validation', () => {
  it('accepts positions from 1 to the maximum, dropping unknown fields', () => {
    assert.deepEqual(fibonacciJob.validate(args(1)), { type: 'fibonacci', position: 1 });
    assert.deepEqual(fibonacciJob.validate({ ...args(3), extra: true } as FibonacciArguments), {
      type: 'fibonacci',
      position: 3,
    });
    assert.deepEqual(fibonacciJob.validate(args(MAX_FIBONACCI_POSITION)).position, MAX_FIBONACCI_POSITION);
  });

  for (const position of [
    0,
    -1,
    1.5,
    MAX_FIBONACCI_POSITION + 1,
    Number.NaN,
    Infinity,
    '3',
    null,
    undefined,
  ]) {
    it(`refuses position ${String(position)} naming the field`, () => {
      assert.throws(
        () => fibonacciJob.validate(args(position)),
        (error) =>
          error instanceof InvalidArgumentError &&
          error.field === 'position' &&
          error.message.includes(`from 1 to ${MAX_FIBONACCI_POSITION}`),
      );
    });
  }
});

describe('fibonacci job', () => {
  it('is named Fibonacci', () => {
    assert.equal(fibonacciJob.displayName, 'Fibonacci');
  });

  it('prints the seed lines for fib 3', () => {
    const out = new CapturedOutput();
    assert.equal(runFibonacci({ type: 'fibonacci', position: 3 }, out, fixedClock), 0);
    assert.deepEqual(out.lines, [
      `${FIXED_STAMP} [JOB] Starting job 'Fibonacci'`,
      `${FIXED_STAMP} [FIB] Calculating the value of the 3rd value in the Fibonacci sequence`,
      `${FIXED_STAMP} [FIB] Using lookup; value is '1'.`,
      `${FIXED_STAMP} [RESULT] 1`,
      `${FIXED_STAMP} [JOB] Complete`,
    ]);
  });

  it('computes past the lookup table and says so, without claiming a lookup', () => {
    const out = new CapturedOutput();
    assert.equal(runFibonacci({ type: 'fibonacci', position: 10_001 }, out, fixedClock), 0);
    const expected = fibonacciByIteration(10_001).toString();
    assert.equal(expected.length, 2090);
    assert.deepEqual(out.lines, [
      `${FIXED_STAMP} [JOB] Starting job 'Fibonacci'`,
      `${FIXED_STAMP} [FIB] Calculating the value of the 10001st value in the Fibonacci sequence`,
      `${FIXED_STAMP} [FIB] Computed by fast doubling; the value has 2090 digits.`,
      `${FIXED_STAMP} [RESULT] ${expected}`,
      `${FIXED_STAMP} [JOB] Complete`,
    ]);
    assert.doesNotMatch(out.text, /lookup/i);
  });

  it('uses the lookup up to position 94 and computes from 95', () => {
    const at94 = new CapturedOutput();
    runFibonacci({ type: 'fibonacci', position: 94 }, at94, fixedClock);
    assert.match(at94.text, /\[FIB\] Using lookup; value is '12200160415121876738'\.\n/);
    const at95 = new CapturedOutput();
    runFibonacci({ type: 'fibonacci', position: 95 }, at95, fixedClock);
    assert.match(at95.text, /\[FIB\] Computed by fast doubling; the value has 20 digits\.\n/);
    assert.match(at95.text, /\[RESULT\] 19740274219868223167\n/);
  });

  it('runs through its definition and resolves to exit 0', async () => {
    const out = new CapturedOutput();
    assert.equal(await fibonacciJob.run?.({ type: 'fibonacci', position: 12 }, out), 0);
    assert.match(out.text, /\[FIB\] Calculating the value of the 12th value in the Fibonacci sequence\n/);
    assert.match(out.text, /\[RESULT\] 89\n/);
  });
});
