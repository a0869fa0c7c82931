/**
 * The server's limit policy: a job's requested limits, filled from the server's defaults and capped
 * by its maxima, and the human formatting of limits used in messages.
 */
import { RESOURCE_LIMIT_KEYS, type ResourceLimits } from '../../core/types.js';
import { formatBytes } from '../../core/units.js';
import { InvalidLimitError, LimitAboveCapError } from '../errors.js';

type LimitKey = (typeof RESOURCE_LIMIT_KEYS)[number];

/** A person's name for each limit, used in messages. */
export const LIMIT_LABELS: Readonly<Record<LimitKey, string>> = {
  cpuMillicores: 'cpu',
  memoryBytes: 'memory',
  ioReadBytesPerSecond: 'io read bandwidth',
  ioWriteBytesPerSecond: 'io write bandwidth',
  ioReadIops: 'io read IOPS',
  ioWriteIops: 'io write IOPS',
  pids: 'process count',
};

/**
 * The smallest value the kernel (or a job that can start at all) accepts. CFS refuses a quota below
 * 1 ms per 100 ms period, i.e. 10 millicores; below 1 MiB of memory the sandbox itself cannot start.
 */
export const LIMIT_MINIMA: Readonly<Record<LimitKey, number>> = {
  cpuMillicores: 10,
  memoryBytes: 1024 * 1024,
  ioReadBytesPerSecond: 1,
  ioWriteBytesPerSecond: 1,
  ioReadIops: 1,
  ioWriteIops: 1,
  pids: 1,
};

/** 1000 -> "1 CPU", 1500 -> "1.5 CPUs", 250 -> "0.25 CPUs". */
export function formatMillicores(millicores: number): string {
  const cpus = millicores / 1000;
  return `${cpus} ${cpus === 1 ? 'CPU' : 'CPUs'}`;
}

/** One limit's value in human units. */
export function formatLimit(key: LimitKey, value: number): string {
  switch (key) {
    case 'cpuMillicores':
      return formatMillicores(value);
    case 'memoryBytes':
      return formatBytes(value);
    case 'ioReadBytesPerSecond':
    case 'ioWriteBytesPerSecond':
      return `${formatBytes(value)}/s`;
    case 'ioReadIops':
    case 'ioWriteIops':
      return `${value} IOPS`;
    case 'pids':
      return String(value);
  }
}

function checkValue(key: LimitKey, value: unknown, whose: string): number {
  const label = LIMIT_LABELS[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidLimitError(
      key,
      value,
      `${whose}${label} must be a positive integer, not ${String(value)}`,
    );
  }
  const min = LIMIT_MINIMA[key];
  if (value < min) {
    throw new InvalidLimitError(
      key,
      value,
      `${whose}${label} ${formatLimit(key, value)} is below the minimum of ${formatLimit(key, min)}`,
    );
  }
  return value;
}

/**
 * The limits a job runs with: each requested limit, or the server's default where it asked for none,
 * capped by the server's maximum. A limit with a maximum is never absent from the result (no limit
 * at all would be above the cap): the maximum stands in when neither the request nor the defaults
 * set it. Zero, negative, fractional or out-of-range values are refused with an error that names the
 * limit, the value and the cap in human units ("memory 2 GiB is above the server's cap of 1 GiB").
 */
export function applyLimitPolicy(
  requested: ResourceLimits,
  defaults: ResourceLimits,
  maxima: ResourceLimits,
): ResourceLimits {
  const result: Partial<Record<LimitKey, number>> = {};
  for (const key of RESOURCE_LIMIT_KEYS) {
    const cap = maxima[key] === undefined ? undefined : checkValue(key, maxima[key], "the server's cap for ");
    const asked = requested[key];
    let value: number | undefined;
    if (asked !== undefined) {
      value = checkValue(key, asked, '');
      if (cap !== undefined && value > cap) {
        throw new LimitAboveCapError(
          key,
          value,
          cap,
          `${LIMIT_LABELS[key]} ${formatLimit(key, value)} is above the server's cap of ${formatLimit(key, cap)}`,
        );
      }
    } else if (defaults[key] !== undefined) {
      value = checkValue(key, defaults[key], "the server's default ");
      if (cap !== undefined && value > cap) {
        throw new LimitAboveCapError(
          key,
          value,
          cap,
          `the server's default ${LIMIT_LABELS[key]} ${formatLimit(key, value)} is above its cap of ${formatLimit(key, cap)}`,
        );
      }
    } else {
      value = cap;
    }
    if (value !== undefined) result[key] = value;
  }
  return result;
}

/** The reason text for a job the OOM killer ended: "killed: out of memory (limit 64 MiB)". */
export function describeOomKill(limits: ResourceLimits): string {
  return limits.memoryBytes === undefined
    ? 'killed: out of memory'
    : `killed: out of memory (limit ${formatBytes(limits.memoryBytes)})`;
}
