import { rm } from 'node:fs/promises';
import type { JobStore } from './store/job-store.js';

/** When ended jobs' records and output are removed. Running jobs are never removed. */
export interface RetentionPolicy {
  /** Remove a job this long after it ended. */
  readonly maxAgeMs?: number;
  /** Remove the oldest ended jobs while all output on disk (running jobs' included) is above this. */
  readonly maxTotalBytes?: number;
}

interface RetentionContext {
  readonly policy: RetentionPolicy;
  readonly store: JobStore;
  readonly logPath: (id: string) => string;
  /** Bytes of output of the jobs still running, which count towards the total but are never removed. */
  readonly activeBytes: () => number;
  readonly clock: () => number;
  readonly logger?: { error(details: object, message: string): void } | undefined;
  /** Told the IDs of the jobs each run removed. */
  readonly onRemoved?: ((ids: readonly string[]) => void) | undefined;
}

// setTimeout's longest delay; a later expiry is simply re-armed when this one fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Applies the retention policy after every job end and at the moment the oldest ended job expires
 * (one timer, re-armed after each run), rather than by scanning on an interval.
 */
export class Retention {
  readonly #context: RetentionContext;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(context: RetentionContext) {
    this.#context = context;
  }

  /** Runs the policy now (coalescing overlapping calls). Never rejects. */
  run(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.#prune();
        } catch (error) {
          this.#context.logger?.error({ err: error }, 'retention: could not remove expired jobs');
        }
      } while (this.#again && !this.#closed);
      this.#running = undefined;
    })();
    return this.#running;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #prune(): Promise<void> {
    const { policy, store, clock } = this.#context;
    if (policy.maxAgeMs === undefined && policy.maxTotalBytes === undefined) return;
    const now = clock();
    let total = this.#context.activeBytes() + store.endedOutputBytes();
    // Pick the jobs to remove first (the iteration keeps the store busy), then remove them.
    const doomed: { id: string; outputBytes: number }[] = [];
    let oldestKept: number | undefined;
    for (const job of store.iterateEndedJobsOldestFirst()) {
      const expired = policy.maxAgeMs !== undefined && now - job.finishedAt >= policy.maxAgeMs;
      const overBudget = policy.maxTotalBytes !== undefined && total > policy.maxTotalBytes;
      if (!expired && !overBudget) {
        oldestKept = job.finishedAt;
        break;
      }
      doomed.push(job);
      total -= job.outputBytes;
    }
    for (const job of doomed) {
      // The record goes first: a job without output reads as empty, output without a record is litter.
      store.delete(job.id);
      await rm(this.#context.logPath(job.id), { force: true });
    }
    if (doomed.length > 0) this.#context.onRemoved?.(doomed.map((job) => job.id));
    this.#arm(oldestKept);
  }

  #arm(oldestFinishedAt: number | undefined): void {
    clearTimeout(this.#timer);
    const { maxAgeMs } = this.#context.policy;
    if (maxAgeMs === undefined || oldestFinishedAt === undefined || this.#closed) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, oldestFinishedAt + maxAgeMs - this.#context.clock()));
    this.#timer = setTimeout(() => void this.run(), delay);
    this.#timer.unref();
  }
}
