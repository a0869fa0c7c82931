import type { Writable } from 'node:stream';
import type { FibonacciArguments } from '../types.js';
import { requireInteger, requireRecord, requireType } from './argument-checks.js';
import type { JobDefinition } from './job-definition.js';
import { type Clock, JobLog, systemClock } from './log-line.js';
import { ordinal } from './ordinal.js';

/**
 * The largest position the job accepts. F(10,000,000) has 2,089,877 digits: fast doubling takes
 * about 0.2 s and BigInt#toString about 0.7 s on the 2-core build machine (measured), so the job
 * stays near 1 s of CPU, and its one output line (2 MB) stays a reasonable thing to keep in a log.
 * F(20,000,000) already takes 2.2 s there, and a job's CPU quota may be a fraction of a core.
 */
export const MAX_FIBONACCI_POSITION = 10_000_000;

/** F(94) = 12200160415121876738 is the last value that fits in 64 bits: the seed's lookup range. */
export const FIBONACCI_LOOKUP_SIZE = 94;

// F(1) = 0 and F(2) = 1, so position p holds the classic Fib(p - 1).
const LOOKUP: readonly bigint[] = (() => {
  const values: bigint[] = [];
  let [current, next] = [0n, 1n];
  while (values.length < FIBONACCI_LOOKUP_SIZE) {
    values.push(current);
    [current, next] = [next, current + next];
  }
  return Object.freeze(values);
})();

/**
 * F(position) by fast doubling: O(log n) steps of BigInt multiplication, from
 * Fib(2k) = Fib(k) * (2 Fib(k+1) - Fib(k)) and Fib(2k+1) = Fib(k)^2 + Fib(k+1)^2.
 */
export function fibonacciByDoubling(position: number): bigint {
  const n = position - 1;
  let current = 0n; // Fib(k)
  let next = 1n; // Fib(k + 1)
  for (let bit = 31 - Math.clz32(n); bit >= 0; bit--) {
    const doubled = current * (2n * next - current);
    const doubledPlusOne = current * current + next * next;
    if (((n >>> bit) & 1) === 1) {
      current = doubledPlusOne;
      next = doubled + doubledPlusOne;
    } else {
      current = doubled;
      next = doubledPlusOne;
    }
  }
  return current;
}

/** F(position) for 1 <= position <= MAX_FIBONACCI_POSITION, with F(1) = 0, F(2) = 1, F(3) = 1. */
export function fibonacci(position: number): bigint {
  return LOOKUP[position - 1] ?? fibonacciByDoubling(position);
}

function validateFibonacci(input: unknown): FibonacciArguments {
  const args = requireRecord(input, 'args');
  return {
    type: requireType(args, 'fibonacci'),
    position: requireInteger(args.position, 'position', 1, MAX_FIBONACCI_POSITION),
  };
}

export function runFibonacci(args: FibonacciArguments, out: Writable, clock: Clock = systemClock): number {
  const log = new JobLog(out, clock);
  log.started(fibonacciJob.displayName);
  log.line('FIB', `Calculating the value of the ${ordinal(args.position)} value in the Fibonacci sequence`);
  let value: string;
  if (args.position <= FIBONACCI_LOOKUP_SIZE) {
    value = fibonacci(args.position).toString();
    log.line('FIB', `Using lookup; value is '${value}'.`);
  } else {
    value = fibonacciByDoubling(args.position).toString();
    log.line('FIB', `Computed by fast doubling; the value has ${value.length} digits.`);
  }
  log.line('RESULT', value);
  return log.complete();
}

export const fibonacciJob: JobDefinition<'fibonacci'> = {
  type: 'fibonacci',
  displayName: 'Fibonacci',
  validate: validateFibonacci,
  run(args: FibonacciArguments, out: Writable): Promise<number> {
    return Promise.resolve(runFibonacci(args, out));
  },
};
