/**
 * Numbers from the wire. uint64 fields arrive as bigint (ts-proto forceLong=bigint); the core works
 * in JavaScript numbers, so anything beyond 2^53 - 1 is refused rather than rounded.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { Duration } from '../../gen/google/protobuf/duration.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A uint64 (or int64) field as a number; throws InvalidArgumentError naming `field` when it does not fit. */
export function safeNumber(value: bigint, field: string): number {
  if (value > MAX_SAFE || value < -MAX_SAFE) {
    throw new InvalidArgumentError(
      field,
      `${value} is too large; at most 2^53 - 1 (${Number.MAX_SAFE_INTEGER})`,
    );
  }
  return Number(value);
}

/** Milliseconds of a protobuf Duration, checked to be well-formed and within [0, maxMs]. */
export function durationToMs(duration: Duration, field: string, maxMs: number): number {
  const { seconds, nanos } = duration;
  if (
    !Number.isInteger(nanos) ||
    nanos <= -1e9 ||
    nanos >= 1e9 ||
    (seconds > 0n && nanos < 0) ||
    (seconds < 0n && nanos > 0)
  ) {
    throw new InvalidArgumentError(field, `not a valid duration (seconds ${seconds}, nanos ${nanos})`);
  }
  if (seconds < 0n || nanos < 0) throw new InvalidArgumentError(field, 'must not be negative');
  const maxSeconds = BigInt(Math.floor(maxMs / 1000));
  if (seconds > maxSeconds || (seconds === maxSeconds && nanos > (maxMs % 1000) * 1e6)) {
    throw new InvalidArgumentError(field, `must be at most ${formatMs(maxMs)}, got ${seconds}s`);
  }
  return Number(seconds) * 1000 + Math.ceil(nanos / 1e6);
}

/** A Duration of `micros` microseconds. */
export function microsToDuration(micros: number): Duration {
  const whole = Math.floor(micros);
  return { seconds: BigInt(Math.floor(whole / 1e6)), nanos: (whole % 1e6) * 1000 };
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
