/**
 * Tail: the job's output from the start, an offset or the last N lines, following it until the job
 * has ended. Memory per stream is one chunk (64 KiB): the next chunk is read from the log file only
 * after the previous one was handed to HTTP/2, and when `write()` returns false the stream waits for
 * 'drain'. A slow client therefore holds back only its own reader, never the server's memory.
 */
import { once } from 'node:events';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { JobTailRequest, TailJobResponse } from '../../gen/workernator/v1/workernator.js';
import { assertJobVisible } from '../authz.js';
import type { RpcContext } from '../rpc.js';
import { ClientGoneError } from '../tail-registry.js';
import { tailRequestFromWire } from '../wire/requests.js';
import type { ServiceDeps } from './deps.js';

type TailCall = ServerWritableStream<JobTailRequest, TailJobResponse>;

/**
 * Writes one message and resolves once grpc-js has passed it to the HTTP/2 stream. grpc-js drops
 * writes on a cancelled call without ever calling back, so the signal ends the wait too.
 */
async function send(call: TailCall, message: TailJobResponse, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const written = new Promise<void>((resolve, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    call.write(message, (error: Error | null | undefined) => (error ? reject(error) : resolve()));
  });
  try {
    await written;
    // write() returned false (grpc-js's own buffer is full) and 'drain' has not come yet: wait for it.
    // Node emits 'drain' before it runs the write callbacks, so the flag, not the event, is checked.
    if (call.writableNeedDrain) await once(call, 'drain', { signal });
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
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
    const chunks = deps.manager.tail(tail.id, {
      follow: tail.follow,
      signal: lease.signal,
      ...(tail.offset === undefined ? {} : { offset: tail.offset }),
      ...(tail.lastLines === undefined ? {} : { lastLines: tail.lastLines }),
    });
    for await (const chunk of chunks) {
      // A view, not a copy: the reader allocates a fresh buffer for every chunk.
      await send(call, { data: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) }, lease.signal);
      deps.metrics.tailSent(chunk.byteLength);
    }
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
