import { writevSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** The part of a job's output log that readers need: where it is, how much is in it, whether it grows. */
export interface LogSource {
  readonly path: string;
  /** Bytes written so far; readers never read past it. */
  readonly size: number;
  /** True once no byte will be added. */
  readonly ended: boolean;
  /**
   * Resolves when the log has grown past `knownSize` or has ended (at once if that is already so);
   * rejects with the signal's reason when `signal` aborts first.
   */
  changedSince(knownSize: number, signal?: AbortSignal): Promise<void>;
  /**
   * The bytes from `position` that are still in memory, as a view that is valid only until the next
   * append (copy it at once); it may end before the log does (where the kept memory wraps around).
   * Undefined when they must be read from the file.
   */
  recent?(position: number): Uint8Array | undefined;
  /**
   * Registers a follower; while any is registered the log keeps its last RECENT_BYTES in memory, so
   * followers at the head get new output without reading the file back. Returns the unregistration.
   */
  attach?(): () => void;
}

/**
 * The most output a followed log keeps in memory (a copy of its last bytes, in one ring buffer
 * allocated when the first follower comes and freed when the last one goes), shared by all of its
 * followers; a log that nobody follows keeps none. A follower further behind reads the file.
 */
export const RECENT_BYTES = 256 * 1024;

interface QueuedAppend {
  readonly chunk: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The most chunks written by one writev (IOV_MAX is 1024). */
const MAX_BATCH_CHUNKS = 256;

/**
 * A batch this small is written synchronously: a few KiB into the page cache take microseconds,
 * less than the trip through the thread pool, and its wake-up (what a follower waits for) then
 * needs no thread switch. Larger batches, where throughput matters, go through the thread pool.
 */
export const SYNC_WRITE_MAX_BYTES = 4096;

/** The log of a job that has ended: a file that no longer changes. */
export function endedLog(path: string, size: number): LogSource {
  return {
    path,
    size,
    ended: true,
    changedSince: () => Promise.resolve(),
  };
}

/**
 * The output log of a running job: an append-only file with one writer (the manager) and any number
 * of readers, each with its own file handle and offset. Readers learn of new bytes from an in-process
 * wake-up after each append, never by polling. Appends made while a write is in flight are queued
 * and written together as soon as it completes (the writer bounds the queue with `pendingBytes`).
 * While the log is followed it also keeps a copy of its last RECENT_BYTES in a ring buffer, so that
 * followers at the head are handed what was just appended instead of reading it back through the
 * thread pool; otherwise it holds no output beyond the chunks being written.
 */
export class OutputLog implements LogSource {
  readonly path: string;
  #file: FileHandle | undefined;
  #size = 0;
  #ended = false;
  #wakers = new Set<() => void>();
  /** Appends not yet in the file, oldest first. */
  #queue: QueuedAppend[] = [];
  #pendingBytes = 0;
  /** The loop writing the queue; undefined when no write is in flight. */
  #writing: Promise<void> | undefined;
  #failed: Error | undefined;
  #followers = 0;
  /** While followed: the log's bytes [#ringStart, #ringEnd), byte N at index N % RECENT_BYTES. */
  #ring: Buffer | undefined;
  #ringStart = 0;
  #ringEnd = 0;

  private constructor(path: string, file: FileHandle) {
    this.path = path;
    this.#file = file;
  }

  /** Creates the log file; it must not exist yet (a job's output is never mixed with another's). */
  static async create(path: string): Promise<OutputLog> {
    return new OutputLog(path, await open(path, 'wx', 0o600));
  }

  get size(): number {
    return this.#size;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Bytes appended but not yet in the file. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** How many bytes of memory the log holds for its followers (0 when nobody follows it). */
  get recentBytes(): number {
    return this.#ring === undefined ? 0 : this.#ring.byteLength;
  }

  /**
   * Appends bytes; resolves once they are in the file, when readers are woken. A caller may append
   * again before the previous append has resolved: appends are written in order, those queued behind
   * a write in flight together (one writev). The chunk must not change until its append has settled.
   * Once a write has failed, that append and every later one reject with its error.
   */
  append(chunk: Uint8Array): Promise<void> {
    if (this.#file === undefined) return Promise.reject(new Error(`output log ${this.path} is closed`));
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ chunk, resolve, reject });
      this.#pendingBytes += chunk.byteLength;
      this.#writing ??= this.#writeQueued();
    });
  }

  /** Closes the file once the queued appends are written; readers finish what is left and end. Idempotent. */
  async finish(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    const file = this.#file;
    this.#file = undefined;
    this.#ended = true;
    this.#wake();
    await file?.close();
  }

  changedSince(knownSize: number, signal?: AbortSignal): Promise<void> {
    if (this.#size > knownSize || this.#ended) return Promise.resolve();
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#wakers.delete(wake);
        reject(signal?.reason as Error);
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#wakers.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  recent(position: number): Uint8Array | undefined {
    const ring = this.#ring;
    if (ring === undefined || position < this.#ringStart || position >= this.#ringEnd) return undefined;
    const at = position % RECENT_BYTES;
    return ring.subarray(at, at + Math.min(this.#ringEnd - position, RECENT_BYTES - at));
  }

  attach(): () => void {
    this.#followers++;
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      if (--this.#followers === 0) this.#ring = undefined;
    };
  }

  async #writeQueued(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH_CHUNKS);
        const start = this.#size;
        try {
          await this.#writeAll(batch.map((append) => append.chunk));
        } catch (error) {
          this.#failed = error as Error;
          for (const append of [...batch, ...this.#queue.splice(0)]) append.reject(this.#failed);
          this.#pendingBytes = 0;
          // What was written before the failure is readable.
          this.#wake();
          return;
        }
        let at = start;
        for (const { chunk } of batch) {
          if (this.#followers > 0) this.#remember(at, chunk);
          at += chunk.byteLength;
          this.#pendingBytes -= chunk.byteLength;
        }
        this.#wake();
        for (const append of batch) append.resolve();
      }
    } finally {
      this.#writing = undefined;
    }
  }

  /** Writes the chunks at the end of the file, going on after short writes. */
  async #writeAll(chunks: Uint8Array[]): Promise<void> {
    let left = chunks.filter((chunk) => chunk.byteLength > 0);
    while (left.length > 0) {
      const file = this.#file;
      if (file === undefined) throw new Error(`output log ${this.path} is closed`);
      const first = left[0];
      const total = left.reduce((sum, chunk) => sum + chunk.byteLength, 0);
      const bytesWritten =
        total <= SYNC_WRITE_MAX_BYTES
          ? writevSync(file.fd, left, this.#size)
          : left.length === 1 && first !== undefined
            ? (await file.write(first, 0, first.byteLength, this.#size)).bytesWritten
            : (await file.writev(left, this.#size)).bytesWritten;
      this.#size += bytesWritten;
      let skip = bytesWritten;
      while (skip > 0) {
        const head = left[0];
        if (head === undefined) break;
        if (head.byteLength <= skip) {
          skip -= head.byteLength;
          left = left.slice(1);
        } else {
          left = [head.subarray(skip), ...left.slice(1)];
          skip = 0;
        }
      }
    }
  }

  /** Copies the last RECENT_BYTES of a chunk just written at `start` into the ring. */
  #remember(start: number, chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    let ring = this.#ring;
    if (ring === undefined) {
      ring = this.#ring = Buffer.allocUnsafeSlow(RECENT_BYTES);
      this.#ringStart = this.#ringEnd = start;
    }
    const end = start + chunk.byteLength;
    const keep = chunk.subarray(Math.max(0, chunk.byteLength - RECENT_BYTES));
    let position = end - keep.byteLength;
    let copied = 0;
    while (copied < keep.byteLength) {
      const at = position % RECENT_BYTES;
      const part = keep.subarray(copied, copied + (RECENT_BYTES - at));
      ring.set(part, at);
      copied += part.byteLength;
      position += part.byteLength;
    }
    this.#ringEnd = end;
    this.#ringStart = Math.max(this.#ringStart, end - RECENT_BYTES);
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = new Set();
    for (const wake of wakers) wake();
  }
}
