/** Applies an update to a job: which fields may change, and what "undefined" means. */
import { InvalidArgumentError } from '../errors.js';
import type { Job } from '../types.js';

/** The fields a job's life changes; its identity and request are immutable. */
export type JobPatch = Partial<Omit<Job, 'id' | 'type' | 'args' | 'owner' | 'createdAt'>>;

const MUTABLE_KEYS = [
  'status',
  'startedAt',
  'finishedAt',
  'exitCode',
  'signal',
  'error',
  'limits',
  'usage',
  'isolation',
  'outputBytes',
] as const satisfies readonly (keyof JobPatch)[];
// Fails to compile when Job gains a mutable field that MUTABLE_KEYS forgets.
const allMutableKeysListed: Exclude<keyof JobPatch, (typeof MUTABLE_KEYS)[number]> extends never
  ? true
  : false = true;
void allMutableKeysListed;

/** Mutable fields that a patch may change but not clear. */
const REQUIRED_KEYS: ReadonlySet<keyof JobPatch> = new Set(['status', 'limits', 'isolation', 'outputBytes']);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function copyField<K extends keyof JobPatch>(to: Mutable<Job>, from: JobPatch, key: K): void {
  // An undefined value is kept here and written as NULL by toRow: that is how a patch clears a field.
  to[key] = from[key] as Job[K];
}

/**
 * `current` with the mutable fields of `patch` applied. A key present with the value undefined
 * clears an optional field; any other key (id, owner, ... slipped in past the type) is ignored.
 */
export function applyPatch(current: Job, patch: JobPatch): Job {
  const next: Mutable<Job> = { ...current };
  for (const key of MUTABLE_KEYS) {
    if (!Object.hasOwn(patch, key)) continue;
    if (patch[key] === undefined && REQUIRED_KEYS.has(key)) {
      throw new InvalidArgumentError(key, 'is required and cannot be cleared');
    }
    copyField(next, patch, key);
  }
  return next;
}
