/** Certificate lifetimes and serial numbers. */
import { randomBytes } from 'node:crypto';
import { PkiInvalidArgumentError } from './errors.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Default lifetimes in days: CAs 5 years, the server 1 year, clients 90 days. */
export const DEFAULT_CA_DAYS = 5 * 365;
export const DEFAULT_SERVER_DAYS = 365;
export const DEFAULT_CLIENT_DAYS = 90;
/** The longest lifetime accepted for any certificate (10 years): a typo must not mint a forever certificate. */
export const MAX_DAYS = 3650;

/** notBefore is set this far in the past, so a peer whose clock is a little behind accepts a new certificate. */
export const BACKDATE_MS = 5 * 60 * 1000;

/**
 * When a certificate is valid. `days` counts from `now` (default: the current time); explicit
 * `notBefore`/`notAfter` win over it (tests use them to make expired certificates).
 */
export interface ValidityOptions {
  readonly days?: number;
  readonly now?: Date;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export function validateDays(days: number, field = 'days'): number {
  if (!Number.isSafeInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new PkiInvalidArgumentError(field, `${days} is not a whole number of days from 1 to ${MAX_DAYS}`);
  }
  return days;
}

export function resolveValidity(options: ValidityOptions | undefined, defaultDays: number): Validity {
  const now = options?.now ?? new Date();
  const days = validateDays(options?.days ?? defaultDays);
  const notBefore = options?.notBefore ?? new Date(now.getTime() - BACKDATE_MS);
  const notAfter = options?.notAfter ?? new Date(now.getTime() + days * DAY_MS);
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new PkiInvalidArgumentError('notAfter', 'must be later than notBefore');
  }
  return { notBefore, notAfter };
}

/**
 * A random positive serial of exactly 16 bytes (RFC 5280 allows up to 20). The top bit is cleared so
 * the DER INTEGER is positive without a padding byte, and the first byte is never zero so it is not
 * shortened: 126 random bits, unguessable, and unique across CAs that share a subject name.
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}
