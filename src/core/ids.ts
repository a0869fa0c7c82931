/**
 * Job IDs: 6 characters such as `XE38YM`, short enough to type and read aloud. The alphabet leaves
 * out 0/O and 1/I, which people confuse; 32^6 (about 10^9) IDs leave collisions rare, and the store
 * checks for them anyway.
 */
import { randomBytes } from 'node:crypto';
import { InvalidJobIdError } from './errors.js';

export const JOB_ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const JOB_ID_LENGTH = 6;

// The exact alphabet above as a character class; anchored with `^...$` and no flags, so neither a
// trailing newline nor a look-alike from another script can match.
const JOB_ID_PATTERN = /^[A-HJ-NP-Z2-9]{6}$/;

/** A fresh random job ID. Uniqueness is the store's business (`JobStore.insertWithNewId`). */
export function newJobId(): string {
  const bytes = randomBytes(JOB_ID_LENGTH);
  let id = '';
  for (const byte of bytes) {
    // The alphabet has 32 letters and 256 is a multiple of 32, so the low 5 bits of a uniform byte
    // are uniform over the alphabet: no modulo bias, no rejection loop needed.
    id += JOB_ID_ALPHABET[byte & 0x1f];
  }
  return id;
}

/** True only for exactly 6 characters of the alphabet. */
export function isValidJobId(id: unknown): id is string {
  // The length check first keeps the cost of rejecting a huge string constant.
  return typeof id === 'string' && id.length === JOB_ID_LENGTH && JOB_ID_PATTERN.test(id);
}

/** Returns `id` when valid; otherwise throws InvalidJobIdError. Call before `id` touches a path or a query. */
export function assertValidJobId(id: unknown): string {
  if (isValidJobId(id)) return id;
  throw new InvalidJobIdError(typeof id === 'string' ? id : `<${typeof id}>`);
}
