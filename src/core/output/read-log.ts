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
  /** Where to put each chunk; by default every chunk gets a fresh buffer (or is a view of the log's memory). */
  readonly buffers?: ChunkBuffers;
}

/**
 * Buffers supplied by the reader's consumer, so it can reuse them and prefix each chunk in place.
 * Every chunk is then copied or read into a buffer from `take()` and yielded as a view of it that
 * starts `headroom` bytes in: the bytes in front of the chunk are the consumer's to overwrite.
 */
export interface ChunkBuffers {
  readonly headroom: number;
  /** A buffer of at least `headroom + MAX_CHUNK_BYTES` bytes that nothing else uses until it is given back. */
  take(): Uint8Array;
}

/**
 * Reads a job's output from `offset` in chunks of at most 64 KiB, then (when following) waits for
 * more until the log has ended and everything is read. Each reader has its own file handle, so a
 * reader that stops reading holds back only itself; it holds one chunk in memory at a time. A
 * follower registers with the log; bytes the log still holds in memory (it keeps the last few
 * chunks it appended while followed) are taken from there instead of being read back from the file,
 * so a follower at the head gets new output without a trip through the thread pool.
 */
export async function* readLog(source: LogSource, options: ReadLogOptions = {}): AsyncGenerator<Uint8Array> {
  const { follow = true, signal, buffers } = options;
  let position = options.offset ?? 0;
  const detach = follow && !source.ended ? source.attach?.() : undefined;
  try {
    const file = await open(source.path, 'r');
    try {
      for (;;) {
        signal?.throwIfAborted();
        const size = source.size;
        if (position < size) {
          const want = Math.min(MAX_CHUNK_BYTES, size - position);
          const headroom = buffers?.headroom ?? 0;
          const buffer = buffers === undefined ? Buffer.allocUnsafe(want) : buffers.take();
          let chunk: Uint8Array;
          if (source.recent?.(position) !== undefined) {
            chunk = copyRecent(source, position, buffer.subarray(headroom, headroom + want));
          } else {
            const { bytesRead } = await file.read(buffer, headroom, want, position);
            // A file shorter than the log says was pruned or damaged under us: end rather than spin.
            if (bytesRead === 0) return;
            chunk = buffer.subarray(headroom, headroom + bytesRead);
          }
          position += chunk.byteLength;
          yield chunk;
        } else if (source.ended || !follow) {
          return;
        } else {
          await source.changedSince(position, signal);
        }
      }
    } finally {
      await file.close();
    }
  } finally {
    detach?.();
  }
}

/** Copies what the log holds in memory from `position` (at least one byte) into `into`; returns the part filled. */
function copyRecent(source: LogSource, position: number, into: Uint8Array): Uint8Array {
  let copied = 0;
  while (copied < into.byteLength) {
    const recent = source.recent?.(position + copied);
    if (recent === undefined) break;
    const part = recent.subarray(0, into.byteLength - copied);
    into.set(part, copied);
    copied += part.byteLength;
  }
  return into.subarray(0, copied);
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
