/**
 * Parsers for setting values. Each takes what a source gives (a string from a flag or an env var, or
 * any JSON value from the config file) and returns the typed value, or throws a plain Error whose
 * message says what is wrong; load-config.ts adds which setting and where it was written.
 */
import { isAbsolute, resolve } from 'node:path';
import type { RESOURCE_LIMIT_KEYS, ResourceLimits } from '../../core/types.js';
import { clientNameProblem } from '../../pki/names.js';

type LimitKey = (typeof RESOURCE_LIMIT_KEYS)[number];

/** How a value was written, for parsers whose result depends on it. */
export interface ValueOrigin {
  /** Relative paths are resolved against this: the config file's directory, or the working directory. */
  readonly baseDir: string;
}

const describe = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : String(value);

export function parseString(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new Error(`must be a non-empty string, not ${describe(value)}`);
  return value;
}

export function parsePath(value: unknown, origin: ValueOrigin): string {
  const path = parseString(value);
  return isAbsolute(path) ? path : resolve(origin.baseDir, path);
}

export function parseBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off', ''].includes(text)) return false;
  }
  throw new Error(`must be true or false, not ${describe(value)}`);
}

/** host:port, with an IPv6 host in brackets ([::1]:50051); port 0 asks the system for a free one. */
export function parseAddress(value: unknown): string {
  const text = parseString(value);
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  if (match === null || Number(match[2]) > 65535) {
    throw new Error(`must be host:port, such as 127.0.0.1:50051 or [::1]:50051, not ${describe(value)}`);
  }
  return text;
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** A byte count: an integer, or a number with a unit (512MiB, 1.5GiB, 10MB). */
export function parseBytes(value: unknown): number {
  if (typeof value === 'number') return checkInteger(value, value);
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value) : null;
  const unit = match === null ? undefined : BYTE_UNITS[match[2]!.toLowerCase()];
  if (match === null || unit === undefined) {
    throw new Error(`must be a byte count such as 1048576, 512MiB or 2GiB, not ${describe(value)}`);
  }
  return checkInteger(Math.round(Number(match[1]) * unit), value);
}

/** A whole number, from JSON or from digits in a string. */
export function parseCount(value: unknown): number {
  if (typeof value === 'number') return checkInteger(value, value);
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return checkInteger(Number(value), value);
  throw new Error(`must be a whole number, not ${describe(value)}`);
}

function checkInteger(n: number, value: unknown): number {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`must be a whole number from 0 to 2^53 - 1, not ${describe(value)}`);
  return n;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** A duration with a unit: 500ms, 30s, 10m, 2h, 7d; a bare number is refused, since its unit would be a guess. */
export function parseDuration(value: unknown): number {
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)\s*$/.exec(value) : null;
  if (match === null)
    throw new Error(
      `must be a duration with a unit, such as 500ms, 30s, 10m, 2h or 7d, not ${describe(value)}`,
    );
  return checkInteger(Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!), value);
}

/** 24 days: the longest whole number of days under Node's longest timer (2^31 - 1 ms; a longer one fires at once). */
export const LONGEST_TIMEOUT_MS = 24 * 86_400_000;

/** A duration from `minMs` to `maxMs`; the message shows the bounds in the units they were written in. */
export function parseDurationWithin(
  minMs: number,
  maxMs: number,
  shown: { readonly min: string; readonly max: string },
): (value: unknown) => number {
  return (value) => {
    const ms = parseDuration(value);
    if (ms < minMs || ms > maxMs)
      throw new Error(`must be from ${shown.min} to ${shown.max}, not ${describe(value)}`);
    return ms;
  };
}

export function parseChoice<T extends string>(choices: readonly T[]): (value: unknown) => T {
  return (value) => {
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    throw new Error(`must be one of ${choices.join(', ')}, not ${describe(value)}`);
  };
}

/** A list: a JSON array of strings, or (from a flag or env var) comma-separated. */
export function parseList(item: (value: unknown) => string): (value: unknown) => string[] {
  return (value) => {
    const items =
      typeof value === 'string'
        ? value
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : value;
    if (!Array.isArray(items)) throw new Error(`must be a list of strings, not ${describe(value)}`);
    return items.map((entry, i) => {
      try {
        return item(entry);
      } catch (error) {
        throw new Error(`item ${i + 1}: ${(error as Error).message}`, { cause: error });
      }
    });
  };
}

/** An http(s) URL prefix, normalized as the wait-then-send job normalizes its URL (so https://a.example becomes https://a.example/). */
export function parseUrlPrefix(value: unknown): string {
  const text = parseString(value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`must be an absolute http or https URL, not ${describe(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`must use http or https, not ${describe(value)}`);
  return url.href;
}

/** The limits' names in settings, with the unit each is read in. */
export const LIMIT_NAMES = {
  cpu: ['cpuMillicores', 'count'],
  memory: ['memoryBytes', 'bytes'],
  'io-read-bps': ['ioReadBytesPerSecond', 'bytes'],
  'io-write-bps': ['ioWriteBytesPerSecond', 'bytes'],
  'io-read-iops': ['ioReadIops', 'count'],
  'io-write-iops': ['ioWriteIops', 'count'],
  pids: ['pids', 'count'],
} as const satisfies Record<string, readonly [LimitKey, 'bytes' | 'count']>;

type LimitName = keyof typeof LIMIT_NAMES;

/**
 * Resource limits: a JSON object ({"cpu": 500, "memory": "512MiB"}) or, from a flag or env var,
 * name=value pairs separated by commas (cpu=500,memory=512MiB). cpu is in millicores.
 */
export function parseLimits(value: unknown): ResourceLimits {
  let entries: [string, unknown][];
  if (typeof value === 'string') {
    entries = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at <= 0) throw new Error(`expected name=value, such as memory=512MiB, not ${describe(pair)}`);
        return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
      });
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    entries = Object.entries(value);
  } else {
    throw new Error(
      `must be an object of limits such as {"cpu": 500, "memory": "512MiB"}, not ${describe(value)}`,
    );
  }
  const limits: Partial<Record<LimitKey, number>> = {};
  for (const [name, raw] of entries) {
    if (!Object.hasOwn(LIMIT_NAMES, name)) {
      throw new Error(
        `unknown limit ${describe(name)}; the limits are ${Object.keys(LIMIT_NAMES).join(', ')}`,
      );
    }
    const [key, unit] = LIMIT_NAMES[name as LimitName];
    try {
      limits[key] = unit === 'bytes' ? parseBytes(raw) : parseCount(raw);
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
    }
  }
  return limits;
}

/** A whole number of at least 1: a limit of 0 would refuse everything, which is never what was meant. */
export function parsePositiveCount(value: unknown): number {
  const n = parseCount(value);
  if (n < 1) throw new Error(`must be at least 1, not ${describe(value)}`);
  return n;
}

/**
 * A certificate serial number in hex, as `openssl x509 -serial` or Node print it (colons and a 0x
 * prefix allowed), normalized to upper case without leading zeros so that every spelling of one
 * serial compares equal.
 */
export function parseCertificateSerial(value: unknown): string {
  const serial = normalizeSerial(parseString(value));
  if (serial === undefined) {
    throw new Error(
      `must be a certificate serial number in hex, such as 5A:3F:01 or 5A3F01, not ${describe(value)}`,
    );
  }
  return serial;
}

/** Upper-case hex without separators or leading zeros, or undefined when `text` is not hex. */
export function normalizeSerial(text: string): string | undefined {
  const hex = text.trim().replace(/^0x/i, '').replace(/:/g, '');
  if (!/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

/** A client name as certificates carry it in their CN (the rules of src/pki/names.ts). */
export function parseClientName(value: unknown): string {
  const name = parseString(value);
  const problem = clientNameProblem(name);
  if (problem !== undefined) throw new Error(`${describe(value)} is not a client name: ${problem}`);
  return name;
}
