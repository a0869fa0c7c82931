/**
 * Tail: the job's output from the start, an offset or the last N lines, following it until the job
 * has ended. Each stream keeps up to MAX_IN_FLIGHT messages written to grpc-js but not yet sent (so
 * the next chunk is ready when the client's HTTP/2 window opens, instead of being read only after
 * the previous one has gone), and reads the next chunk only once one of them has been sent. Chunks
 * are read into the stream's own reusable buffers with room for the protobuf header in front, so a
 * message is encoded in place. Memory per stream is therefore bounded: at most MAX_IN_FLIGHT + 1
 * buffers of ~64 KiB of ours, plus grpc-js's framed copy of each message in flight. A slow client
 * holds back only its own reader.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ChunkBuffers } from '../../core/output/read-log.js';
import { MAX_CHUNK_BYTES } from '../../core/output/read-log.js';
import type { JobTailRequest, TailJobResponse } from '../../gen/workernator/v1/workernator.js';
import { assertJobVisible } from '../authz.js';
import type { RpcContext } from '../rpc.js';
import { ClientGoneError } from '../tail-registry.js';
import { tailRequestFromWire } from '../wire/requests.js';
import { EncodedTailResponse, HEADER_ROOM } from '../wire/tail-response.js';
import type { ServiceDeps } from './deps.js';

type TailCall = ServerWritableStream<JobTailRequest, TailJobResponse>;

/** Messages a stream may have written to grpc-js whose write callback has not come yet. */
export const MAX_IN_FLIGHT = 2;

const BUFFER_BYTES = HEADER_ROOM + MAX_CHUNK_BYTES;

/**
 * The writing side of one Tail stream: its buffers and the messages in flight. grpc-js calls a
 * write back once the message has been handed to the HTTP/2 stream and sent (so within the
 * client's flow-control window); it drops writes on a cancelled call without calling back, so every
 * wait also ends when `signal` aborts.
 */
export class TailWriter implements ChunkBuffers {
  readonly headroom = HEADER_ROOM;
  readonly #call: TailCall;
  readonly #signal: AbortSignal;
  readonly #onSent: (bytes: number) => void;
  /** Buffers whose message has been sent, ready for the next chunk. */
  readonly #free: ArrayBuffer[] = [];
  #inFlight = 0;
  #failed: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(call: TailCall, signal: AbortSignal, onSent: (bytes: number) => void) {
    this.#call = call;
    this.#signal = signal;
    this.#onSent = onSent;
  }

  take(): Uint8Array {
    const reused = this.#free.pop();
    return reused === undefined ? Buffer.allocUnsafeSlow(BUFFER_BYTES) : new Uint8Array(reused);
  }

  /** Writes a chunk read into one of take()'s buffers; resolves once another may be written. */
  async write(chunk: Uint8Array): Promise<void> {
    this.#signal.throwIfAborted();
    const message = EncodedTailResponse.inPlace(chunk);
    const bytes = chunk.byteLength;
    this.#inFlight++;
    this.#call.write(message, (error: Error | null | undefined) => {
      this.#inFlight--;
      if (error) this.#failed ??= error;
      else {
        // grpc-js copied the message into its own frame when it was written: the buffer is free.
        this.#free.push(chunk.buffer as ArrayBuffer);
        this.#onSent(bytes);
      }
      this.#notify();
    });
    // write() returning false (grpc-js's own queue is full) shows as writableNeedDrain until 'drain'.
    await this.#until(() => this.#inFlight < MAX_IN_FLIGHT && !this.#call.writableNeedDrain);
  }

  /** Resolves once every message written has been sent. */
  flushed(): Promise<void> {
    return this.#until(() => this.#inFlight === 0);
  }

  async #until(ready: () => boolean): Promise<void> {
    for (;;) {
      if (this.#failed !== undefined) throw this.#failed;
      this.#signal.throwIfAborted();
      if (ready()) return;
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          this.#wake = undefined;
          this.#signal.removeEventListener('abort', onAbort);
          this.#call.removeListener('drain', onDrain);
        };
        const onAbort = () => {
          done();
          reject(this.#signal.reason as Error);
        };
        const onDrain = () => this.#notify();
        this.#signal.addEventListener('abort', onAbort, { once: true });
        this.#call.once('drain', onDrain);
        this.#wake = () => {
          done();
          resolve();
        };
      });
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

export async function tailJob(deps: ServiceDeps, call: TailCall, context: RpcContext): Promise<void> {
  const tail = tailRequestFromWire(call.request);
  context.jobId = tail.id;
  assertJobVisible(context.access, context.identity, deps.manager.status(tail.id));

  // Takes the caller's Tail slot (admission control) or throws RESOURCE_EXHAUSTED.
  const lease = deps.tails.open(context.caller);
  // 'cancelled' also fires after a normal end; by then the lease is released and cancel() is a no-op.
  const onCancelled = () => lease.cancel();
  call.once('cancelled', onCancelled);
  if (call.cancelled) lease.cancel();
  try {
    const writer = new TailWriter(call, lease.signal, (bytes) => deps.metrics.tailSent(bytes));
    const chunks = deps.manager.tail(tail.id, {
      follow: tail.follow,
      signal: lease.signal,
      buffers: writer,
      ...(tail.offset === undefined ? {} : { offset: tail.offset }),
      ...(tail.lastLines === undefined ? {} : { lastLines: tail.lastLines }),
    });
    for await (const chunk of chunks) await writer.write(chunk);
    await writer.flushed();
  } catch (error) {
    // A client that went away needs no status; shutdown's reason becomes UNAVAILABLE, a deny-list
    // reload's UNAUTHENTICATED.
    if (lease.signal.aborted && lease.signal.reason instanceof ClientGoneError) return;
    throw lease.signal.aborted ? lease.signal.reason : error;
  } finally {
    call.removeListener('cancelled', onCancelled);
    lease.release();
  }
}
