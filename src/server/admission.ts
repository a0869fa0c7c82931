/**
 * Admission control: the one place where the server's load limits are counted and enforced.
 *
 * A slot is taken synchronously, in the same turn of the event loop as the check, before any await:
 * two Starts that arrive together cannot both see "19 of 20" and both pass. A job holds its slot from
 * admission (so a job still launching counts) until it has ended; a Tail holds one until its stream
 * is over. Every slot is released exactly once, however many paths try.
 */
import { ResourceExhaustedError } from '../core/errors.js';

export interface AdmissionLimits {
  /** Jobs running or starting at once, of all identities. */
  readonly maxRunningJobs: number;
  /** Jobs running or starting at once, per identity. */
  readonly maxRunningJobsPerIdentity: number;
  /** Tail streams open at once, per identity. */
  readonly maxTailsPerIdentity: number;
}

/** The name of each limit, as the settings (and the refusal messages) spell it. */
export type LimitName = keyof AdmissionLimits;

export interface Slot {
  /** Gives the slot back. Idempotent. */
  release(this: void): void;
}

/** Counts per identity; an identity whose count reaches zero is forgotten, so the map stays small. */
class Tally {
  readonly #counts = new Map<string, number>();
  #total = 0;

  get total(): number {
    return this.#total;
  }

  of(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  add(name: string): void {
    this.#counts.set(name, this.of(name) + 1);
    this.#total += 1;
  }

  remove(name: string): void {
    const left = this.of(name) - 1;
    if (left > 0) this.#counts.set(name, left);
    else this.#counts.delete(name);
    this.#total -= 1;
  }
}

export class Admission {
  #limits: AdmissionLimits;
  readonly #jobs = new Tally();
  readonly #tails = new Tally();
  readonly #onRefused: (limit: LimitName) => void;

  constructor(limits: AdmissionLimits, onRefused: (limit: LimitName) => void = () => {}) {
    this.#limits = limits;
    this.#onRefused = onRefused;
  }

  /**
   * New limits (SIGHUP). Slots already held stay held: lowering a limit below the current count
   * refuses new work until enough of it has ended, it never stops what runs.
   */
  setLimits(limits: AdmissionLimits): void {
    this.#limits = limits;
  }

  get limits(): AdmissionLimits {
    return this.#limits;
  }

  /** Jobs admitted and not yet ended. */
  get runningJobs(): number {
    return this.#jobs.total;
  }

  runningJobsOf(name: string): number {
    return this.#jobs.of(name);
  }

  tailsOf(name: string): number {
    return this.#tails.of(name);
  }

  /** A slot for a job `name` starts, or ResourceExhaustedError naming the limit it would pass. */
  admitJob(name: string): Slot {
    const { maxRunningJobs, maxRunningJobsPerIdentity } = this.#limits;
    if (this.#jobs.of(name) >= maxRunningJobsPerIdentity) {
      throw this.#refuse(
        'maxRunningJobsPerIdentity',
        `too many running jobs for ${name}: the limit is ${maxRunningJobsPerIdentity} (maxRunningJobsPerIdentity); wait for one to end or stop one`,
      );
    }
    if (this.#jobs.total >= maxRunningJobs) {
      throw this.#refuse(
        'maxRunningJobs',
        `too many running jobs on this server: the limit is ${maxRunningJobs} (maxRunningJobs); retry once some have ended`,
      );
    }
    return this.#take(this.#jobs, name);
  }

  /** A slot for a Tail stream of `name`, or ResourceExhaustedError naming the limit. */
  admitTail(name: string): Slot {
    const { maxTailsPerIdentity } = this.#limits;
    if (this.#tails.of(name) >= maxTailsPerIdentity) {
      throw this.#refuse(
        'maxTailsPerIdentity',
        `too many Tail streams for ${name}: the limit is ${maxTailsPerIdentity} (maxTailsPerIdentity); close one first`,
      );
    }
    return this.#take(this.#tails, name);
  }

  #take(tally: Tally, name: string): Slot {
    tally.add(name);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        tally.remove(name);
      },
    };
  }

  #refuse(limit: LimitName, message: string): ResourceExhaustedError {
    this.#onRefused(limit);
    return new ResourceExhaustedError(limit, message);
  }
}
