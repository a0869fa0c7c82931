import { Writable } from 'node:stream';
import type { Clock } from '../../../src/core/jobs/log-line.js';

/** 2022-07-07 12:34:55 UTC, the seed's example time. */
export const FIXED_TIME = new Date(Date.UTC(2022, 6, 7, 12, 34, 55));
export const fixedClock: Clock = () => FIXED_TIME;
export const FIXED_STAMP = '2022-07-07 12:34:55';

/** A Writable that keeps what a job writes, as text. */
export class CapturedOutput extends Writable {
  #chunks: Buffer[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#chunks.push(chunk);
    callback();
  }

  get text(): string {
    return Buffer.concat(this.#chunks).toString('utf8');
  }

  /** The lines written, without their final newline. */
  get lines(): string[] {
    return this.text.split('\n').slice(0, -1);
  }
}

/** The lines as the seed prints them after the timestamp, each checked to carry one first. */
export function withoutTimestamps(text: string): string[] {
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error(`output does not end with a newline: ${JSON.stringify(text)}`);
  return lines.map((line) => {
    const match = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (.*)$/.exec(line);
    if (match?.[1] === undefined) throw new Error(`line without a timestamp: ${JSON.stringify(line)}`);
    return match[1];
  });
}
