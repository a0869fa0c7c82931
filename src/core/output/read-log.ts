import { open } from 'node:fs/promises';
import type { LogSource } from './output-log.js';

/** The largest chunk a reader yields (and the largest read it has in flight). */
export const MAX_CHUNK_BYTES = 64 * 1024;

export interface ReadLogOptions {
  /** Byte offset to start at; 0 by default. */
  readonly offset?: number;
  /** Keep following new output until the log ends (default), or stop at what is there now. */
  readonly follow?: boolean;
  /** Ends a follower that is waiting for output; the iteration then throws the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Reads a job's output from `offset` in chunks of at most 64 KiB, then (when following) waits for
 * more until the log has ended and everything is read. Each reader has its own file handle, so a
 * reader that stops reading holds back only itself; it holds one chunk in memory at a time.
 */
export async function* readLog(source: LogSource, options: ReadLogOptions = {}): AsyncGenerator<Uint8Array> {
  const { follow = true, signal } = options;
  let position = options.offset ?? 0;
  const file = await open(source.path, 'r');
  try {
    for (;;) {
      signal?.throwIfAborted();
      const size = source.size;
      if (position < size) {
        const buffer = Buffer.allocUnsafe(Math.min(MAX_CHUNK_BYTES, size - position));
        const { bytesRead } = await file.read(buffer, 0, buffer.byteLength, position);
        // A file shorter than the log says was pruned or damaged under us: end rather than spin.
        if (bytesRead === 0) return;
        position += bytesRead;
        yield buffer.subarray(0, bytesRead);
      } else if (source.ended || !follow) {
        return;
      } else {
        await source.changedSince(position, signal);
      }
    }
  } finally {
    await file.close();
  }
}

/**
 * The offset at which the last `lines` lines of the first `size` bytes of a log begin. A final
 * newline ends the last line rather than starting an empty one, as `tail -n` counts.
 */
export async function offsetOfLastLines(path: string, size: number, lines: number): Promise<number> {
  if (lines <= 0 || size === 0) return size;
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(MAX_CHUNK_BYTES);
    let end = size;
    let newlinesToSkip = lines;
    let trailing = true;
    while (end > 0) {
      const start = Math.max(0, end - MAX_CHUNK_BYTES);
      const { bytesRead } = await file.read(buffer, 0, end - start, start);
      for (let i = bytesRead - 1; i >= 0; i--) {
        if (buffer[i] !== 0x0a) {
          trailing = false;
          continue;
        }
        if (trailing) {
          trailing = false;
          continue;
        }
        if (newlinesToSkip-- === 1) return start + i + 1;
      }
      end = start;
    }
    return 0;
  } finally {
    await file.close();
  }
}
