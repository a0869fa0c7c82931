import { unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
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
 * Under steady load a job ends every few milliseconds, and each asks for a run: runs asked for
 * during one are coalesced into one more, at most this often (each run sorts the ended jobs).
 */
const MIN_RUN_INTERVAL_MS = 250;
/** Logs up to this size are unlinked synchronously; bigger ones through the thread pool. */
const SYNC_UNLINK_MAX_BYTES = 1024 * 1024;
/** Big log files unlinked at once. */
const UNLINK_BATCH = 32;

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
      for (;;) {
        this.#again = false;
        try {
          await this.#prune();
        } catch (error) {
          this.#context.logger?.error({ err: error }, 'retention: could not remove expired jobs');
        }
        if (!this.#again || this.#closed) break;
        await delay(MIN_RUN_INTERVAL_MS, undefined, { ref: false });
        if (this.#closed) break;
      }
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
    // The records go first: a job without output reads as empty, output without a record is litter.
    // All in one transaction; then the files. A small one is unlinked at once (tens of µs on the
    // event loop): through the thread pool each unlink waited behind the running jobs' own file
    // operations, and under steady load retention fell behind the jobs ending (the soak's store and
    // RSS grew for as long as the load lasted). A big file's unlink (freeing its extents can take
    // milliseconds) goes through the pool, a batch at a time.
    store.deleteMany(doomed.map((job) => job.id));
    const big: string[] = [];
    for (const job of doomed) {
      const path = this.#context.logPath(job.id);
      if (job.outputBytes > SYNC_UNLINK_MAX_BYTES) big.push(path);
      else unlinkNowIfThere(path);
    }
    for (let i = 0; i < big.length; i += UNLINK_BATCH) {
      await Promise.all(big.slice(i, i + UNLINK_BATCH).map(unlinkIfThere));
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

async function unlinkIfThere(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function unlinkNowIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
