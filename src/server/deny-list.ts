/**
 * The operator's deny-list of client certificates: serial numbers (one certificate, e.g. a leaked
 * key) and names (an identity, whatever certificate it presents). It comes from the settings and is
 * replaced whole on SIGHUP. The rpc frame checks it on every call, right after the identity is read.
 */
import type { PeerCertificate } from 'node:tls';
import { normalizeSerial } from './config/values.js';
import { ClientDeniedError } from './errors.js';
import type { Identity } from '../pki/identity.js';

export interface DenyListSettings {
  /** Normalized serials (upper-case hex without leading zeros), as the settings parser returns them. */
  readonly deniedClientSerials: readonly string[];
  readonly deniedClientNames: readonly string[];
}

/** What a caller is, for the deny-list: its identity and its certificate's serial. */
export interface Caller {
  readonly identity: Identity;
  /** Normalized; undefined when the certificate carries none Node can read. */
  readonly serial: string | undefined;
}

/** The caller's certificate serial, normalized, from the call's verified peer certificate. */
export function serialOf(certificate: Pick<PeerCertificate, 'serialNumber'> | undefined): string | undefined {
  const serial = certificate?.serialNumber;
  return typeof serial === 'string' ? normalizeSerial(serial) : undefined;
}

export class DenyList {
  readonly #serials: ReadonlySet<string>;
  readonly #names: ReadonlySet<string>;

  constructor(settings: DenyListSettings) {
    this.#serials = new Set(settings.deniedClientSerials);
    this.#names = new Set(settings.deniedClientNames);
  }

  get size(): number {
    return this.#serials.size + this.#names.size;
  }

  /** Why the caller is denied, or undefined when it is not. */
  reason(caller: Caller): ClientDeniedError | undefined {
    if (caller.serial !== undefined && this.#serials.has(caller.serial)) {
      return new ClientDeniedError(
        'serial',
        `the client certificate with serial ${caller.serial} has been revoked by this server's deny-list`,
      );
    }
    if (this.#names.has(caller.identity.name)) {
      return new ClientDeniedError(
        'name',
        `the identity ${JSON.stringify(caller.identity.name)} is refused by this server's deny-list`,
      );
    }
    return undefined;
  }

  /** Throws ClientDeniedError (UNAUTHENTICATED) when the caller is on the list. */
  check(caller: Caller): void {
    const denied = this.reason(caller);
    if (denied !== undefined) throw denied;
  }
}
