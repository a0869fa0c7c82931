import { InvalidArgumentError } from '../errors.js';

/**
 * Checks shared by the job types' `validate`. Arguments arrive from the wire or from JSON, so each
 * check takes `unknown` and trusts nothing the TypeScript types promise.
 */

/** A short, printable rendering of a refused value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
}

/** A non-null, non-array object, read through `unknown` fields. */
export function requireRecord(value: unknown, field: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, `must be an object, got ${describeValue(value)}`);
  }
  return value as Readonly<Record<string, unknown>>;
}

export function requireInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      field,
      `must be an integer from ${min} to ${max}, got ${describeValue(value)}`,
    );
  }
  return value;
}

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(field, `must be a string, got ${describeValue(value)}`);
  }
  return value;
}

/** The type tag every job's arguments carry; the registry dispatched on it, the job re-checks it. */
export function requireType<T extends string>(args: Readonly<Record<string, unknown>>, type: T): T {
  if (args.type !== type) {
    throw new InvalidArgumentError(
      'type',
      `expected ${JSON.stringify(type)}, got ${describeValue(args.type)}`,
    );
  }
  return type;
}
