import type { Writable } from 'node:stream';

/** Where a job's timestamps come from; tests pass a fixed one. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

const pad2 = (value: number): string => String(value).padStart(2, '0');

/** `YYYY-MM-DD HH:MM:SS` in UTC, so a job's output reads the same whatever the host's time zone. */
export function formatTimestamp(time: Date): string {
  const date = `${time.getUTCFullYear()}-${pad2(time.getUTCMonth() + 1)}-${pad2(time.getUTCDate())}`;
  return `${date} ${pad2(time.getUTCHours())}:${pad2(time.getUTCMinutes())}:${pad2(time.getUTCSeconds())}`;
}

// C0 controls (newline included) and DEL, plus C1 controls: text from a request (an expression, a
// URL) must neither split a line nor reach a terminal as an escape sequence when someone tails it.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/** Escapes control characters as `\u001b`, keeping every other character (tabs included) as it is. */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One output line of a built-in job: `2022-07-07 12:34:55 [FIB] text\n`. Always exactly one line. */
export function formatLogLine(time: Date, tag: string, text: string): string {
  return `${formatTimestamp(time)} [${escapeControlCharacters(tag)}] ${escapeControlCharacters(text)}\n`;
}

/**
 * The output of a built-in job, in the line format of the seed design. Built-in jobs write little
 * (the largest is one Fibonacci result), so writes do not wait for the stream to drain; the runner
 * waits for stdout to flush before the process exits.
 */
export class JobLog {
  readonly #out: Writable;
  readonly #clock: Clock;

  constructor(out: Writable, clock: Clock = systemClock) {
    this.#out = out;
    this.#clock = clock;
  }

  line(tag: string, text: string): void {
    this.#out.write(formatLogLine(this.#clock(), tag, text));
  }

  started(displayName: string): void {
    this.line('JOB', `Starting job '${displayName}'`);
  }

  /** Ends the output of a job that succeeded; returns its exit code. */
  complete(): number {
    this.line('JOB', 'Complete');
    return 0;
  }

  /** Ends the output of a job that failed, saying why; returns its exit code. */
  failed(reason: string): number {
    this.line('ERROR', reason);
    this.line('JOB', 'Failed');
    return 1;
  }
}
