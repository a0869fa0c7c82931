/**
 * The live Tail streams of a server. Each stream holds a lease whose AbortSignal ends its read of
 * the job's output: the client going away aborts one lease, server shutdown aborts them all. A
 * lease is released exactly once however many times it is ended (grpc-js emits 'cancelled' after
 * normal ends too), so the count of live tails is exact. A lease also holds the caller's Tail slot
 * of admission control, taken when it opens and given back when it is released.
 */
import type { Admission, Slot } from './admission.js';
import type { Caller } from './deny-list.js';
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

interface LiveTail {
  readonly controller: AbortController;
  readonly caller: Caller;
  readonly slot: Slot;
}

export class TailRegistry {
  readonly #live = new Set<LiveTail>();
  readonly #admission: Admission;
  #closed = false;
  readonly #onIdle = new Set<() => void>();

  constructor(admission: Admission) {
    this.#admission = admission;
  }

  /** How many Tail streams are being served right now. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * A lease for a new stream of `caller`; throws ServerShuttingDownError once the registry is closed,
   * and ResourceExhaustedError when the caller already has as many streams as admission allows.
   */
  open(caller: Caller): TailLease {
    if (this.#closed) throw new ServerShuttingDownError();
    const slot = this.#admission.admitTail(caller.identity.name);
    const tail: LiveTail = { controller: new AbortController(), caller, slot };
    const { controller } = tail;
    this.#live.add(tail);
    return {
      signal: controller.signal,
      cancel: () => {
        if (!controller.signal.aborted) controller.abort(new ClientGoneError());
      },
      release: () => {
        if (!this.#live.delete(tail)) return;
        slot.release();
        if (this.#live.size === 0) {
          for (const resolve of this.#onIdle) resolve();
          this.#onIdle.clear();
        }
      },
    };
  }

  /** Ends the streams of every caller for which `reason` returns an error, with that error. */
  endWhere(reason: (caller: Caller) => Error | undefined): number {
    let ended = 0;
    for (const { controller, caller } of this.#live) {
      const error = controller.signal.aborted ? undefined : reason(caller);
      if (error === undefined) continue;
      controller.abort(error);
      ended += 1;
    }
    return ended;
  }

  /** Ends every live stream with UNAVAILABLE and refuses new ones; resolves once all have been released. */
  close(): Promise<void> {
    this.#closed = true;
    this.endWhere(() => new ServerShuttingDownError());
    return this.idle();
  }

  /** Resolves once no stream is live. */
  idle(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#onIdle.add(resolve));
  }
}
