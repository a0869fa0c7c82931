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
}

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
 * wake-up after each append, never by polling; the server holds no output in memory beyond the chunk
 * being written.
 */
export class OutputLog implements LogSource {
  readonly path: string;
  #file: FileHandle | undefined;
  #size = 0;
  #ended = false;
  #wakers = new Set<() => void>();

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

  /** Appends bytes; readers are woken once they are in the file. */
  async append(chunk: Uint8Array): Promise<void> {
    if (this.#file === undefined) throw new Error(`output log ${this.path} is closed`);
    let written = 0;
    while (written < chunk.byteLength) {
      const { bytesWritten } = await this.#file.write(chunk, written, chunk.byteLength - written, this.#size);
      written += bytesWritten;
      this.#size += bytesWritten;
    }
    this.#wake();
  }

  /** Closes the file; readers finish what is left and end. Idempotent. */
  async finish(): Promise<void> {
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

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = new Set();
    for (const wake of wakers) wake();
  }
}
