/**
 * Human quantities on the command line: CPU ("250m", "0.5"), sizes ("64MiB", "1.5GB") and rates
 * ("10MB/s"), counts ("64"). Each parser returns the API's integer unit or throws ValueError with
 * the reason, which the caller turns into cobra's `invalid argument "x" for "--flag" flag: ...`.
 */
import { ValueError } from './errors.js';

/**
 * CPU as cores ("0.5", "2") or millicores ("250m"); returns millicores. Fractions finer than one
 * millicore are refused rather than rounded, so the limit applied is the one asked for.
 */
export function parseCpu(text: string): number {
  const trimmed = text.trim();
  const milli = /^(\d+)m$/.exec(trimmed);
  const cores = /^(\d*)(?:\.(\d+))?$/.exec(trimmed);
  let millicores: number;
  if (milli) {
    millicores = Number(milli[1]);
  } else if (cores && trimmed !== '' && trimmed !== '.') {
    const fraction = (cores[2] ?? '').padEnd(3, '0');
    if (/[1-9]/.test(fraction.slice(3)))
      throw new ValueError('the smallest unit is 1m (a thousandth of a core)');
    millicores = Number(cores[1] || '0') * 1000 + Number(fraction.slice(0, 3));
  } else {
    throw new ValueError('expected cores such as 0.5 or 2, or millicores such as 250m');
  }
  if (millicores <= 0) throw new ValueError('must be more than 0');
  if (millicores > 2 ** 32 - 1) throw new ValueError('is too large');
  return millicores;
}

// Both families, as people write them: k8s-style Ki/Mi, IEC KiB/MiB, SI KB/MB (and K/M alone,
// which is ambiguous, so it takes the SI meaning, as `df -H` and disk vendors do).
const BYTE_UNITS: Readonly<Record<string, bigint>> = {
  '': 1n,
  b: 1n,
  k: 1000n,
  kb: 1000n,
  m: 1000n ** 2n,
  mb: 1000n ** 2n,
  g: 1000n ** 3n,
  gb: 1000n ** 3n,
  t: 1000n ** 4n,
  tb: 1000n ** 4n,
  ki: 1024n,
  kib: 1024n,
  mi: 1024n ** 2n,
  mib: 1024n ** 2n,
  gi: 1024n ** 3n,
  gib: 1024n ** 3n,
  ti: 1024n ** 4n,
  tib: 1024n ** 4n,
};

const UINT64_MAX = 2n ** 64n - 1n;

/** A size such as "64MiB", "1.5GB", "512" (bytes); returns bytes. */
export function parseBytes(text: string): bigint {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const multiplier = match ? BYTE_UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || multiplier === undefined) {
    throw new ValueError('expected a size such as 64MiB, 512KiB, 1GB or a number of bytes');
  }
  const [whole = '0', fraction = ''] = (match[1] ?? '0').split('.');
  // Exact arithmetic in bigint: "1.5GiB" is 1610612736 bytes, not a float that might round.
  const scale = 10n ** BigInt(fraction.length);
  const scaled = (BigInt(whole) * scale + BigInt(fraction === '' ? '0' : fraction)) * multiplier;
  if (scaled % scale !== 0n) throw new ValueError('is not a whole number of bytes');
  const bytes = scaled / scale;
  if (bytes <= 0n) throw new ValueError('must be more than 0');
  if (bytes > UINT64_MAX) throw new ValueError('is too large');
  return bytes;
}

/** A rate such as "10MB/s" or "10MiB" (per second is implied); returns bytes per second. */
export function parseByteRate(text: string): bigint {
  return parseBytes(text.trim().replace(/\/s$/i, ''));
}

/** A whole number of at least 1, up to `max` ("64"; IO operations may say "/s": "500/s"). */
export function parseCount(text: string, max: number = 2 ** 32 - 1): number {
  const trimmed = text.trim().replace(/\/s$/i, '');
  if (!/^\d+$/.test(trimmed)) throw new ValueError('expected a whole number such as 64');
  const value = Number(trimmed);
  if (value < 1) throw new ValueError('must be at least 1');
  if (value > max) throw new ValueError(`must be at most ${max}`);
  return value;
}

/** A whole number of at least 0 (offsets, line counts). */
export function parseNonNegative(text: string, max: number = Number.MAX_SAFE_INTEGER): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new ValueError('expected a whole number such as 10');
  const value = Number(trimmed);
  if (value > max) throw new ValueError(`must be at most ${max}`);
  return value;
}
