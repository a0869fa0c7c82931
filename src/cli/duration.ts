/** Durations: parsed from flags ("5s", "1m30s", "250ms") and written for people ("2 minutes 5 seconds"). */
import { ValueError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "5s", "250ms", "1m30s", "1.5h", or "0" (no unit needed for zero); returns milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(trimmed); match !== null; match = part.exec(trimmed)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? NaN);
    end = part.lastIndex;
  }
  if (trimmed === '' || end !== trimmed.length || Number.isNaN(total)) {
    throw new ValueError('expected a duration such as 5s, 250ms, 1m30s or 1h (units: ms, s, m, h)');
  }
  // Sub-millisecond parts ("1.0005s") cannot be sent more precisely than the API's nanoseconds,
  // but rounding to a millisecond is what a person means.
  return Math.round(total);
}

const WORD_UNITS = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
] as const;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * "1 second", "2 minutes 5 seconds", "3 days 4 hours": whole units, largest first, zero parts left
 * out. Under a second it says milliseconds ("350 milliseconds"), since built-in jobs often take that.
 */
export function formatDurationWords(ms: number): string {
  if (ms < 1000) return plural(Math.max(0, Math.round(ms)), 'millisecond');
  let rest = Math.floor(ms / 1000) * 1000;
  const parts: string[] = [];
  for (const [word, size] of WORD_UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(plural(count, word));
  }
  return parts.join(' ');
}

/** Compact, for table cells: "350ms", "12s", "2m5s", "1h2m", "3d4h". */
export function formatDurationShort(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}
