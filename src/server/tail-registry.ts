/**
 * The live Tail streams of a server. Each stream holds a lease whose AbortSignal ends its read of
 * the job's output: the client going away aborts one lease, server shutdown aborts them all. A
 * lease is released exactly once however many times it is ended (grpc-js emits 'cancelled' after
 * normal ends too), so the count of live tails is exact.
 */
import { ServerShuttingDownError } from './errors.js';

/** The reason a lease is aborted when its client cancelled or disconnected. */
export class ClientGoneError extends Error {
  readonly code = 'WN_CLIENT_GONE';
  constructor() {
    super('the client cancelled the call or went away');
  }
}

export interface TailLease {
  readonly signal: AbortSignal;
  /** Ends the tail because its client is gone. Idempotent. */
  cancel(): void;
  /** Removes the lease from the registry. Idempotent. */
  release(): void;
}

export class TailRegistry {
  readonly #live = new Set<AbortController>();
  #closed = false;
  readonly #onIdle = new Set<() => void>();

  /** How many Tail streams are being served right now. */
  get size(): number {
    return this.#live.size;
  }

  /** A lease for a new stream; throws ServerShuttingDownError once the registry is closed. */
  open(): TailLease {
    if (this.#closed) throw new ServerShuttingDownError();
    const controller = new AbortController();
    this.#live.add(controller);
    return {
      signal: controller.signal,
      cancel: () => {
        if (!controller.signal.aborted) controller.abort(new ClientGoneError());
      },
      release: () => {
        if (this.#live.delete(controller) && this.#live.size === 0) {
          for (const resolve of this.#onIdle) resolve();
          this.#onIdle.clear();
        }
      },
    };
  }

  /** Ends every live stream with UNAVAILABLE and refuses new ones; resolves once all have been released. */
  close(): Promise<void> {
    this.#closed = true;
    for (const controller of this.#live) {
      if (!controller.signal.aborted) controller.abort(new ServerShuttingDownError());
    }
    return this.idle();
  }

  /** Resolves once no stream is live. */
  idle(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#onIdle.add(resolve));
  }
}
