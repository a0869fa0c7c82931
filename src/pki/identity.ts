/**
 * The one place where a verified client certificate becomes an identity. The TLS layer has already
 * checked the chain, the lifetime and the EKU; this reads who the holder is and what they may do:
 * name = the subject CN, role = the subject OU. Anything ambiguous is refused rather than guessed.
 */
import { createHash, type X509Certificate as NodeX509Certificate } from 'node:crypto';
import { PkiIdentityError } from './errors.js';
import { clientNameProblem, isRole, ROLES, type Role } from './names.js';
import { x509 } from './x509.js';

export interface Identity {
  readonly name: string;
  readonly role: Role;
}

/**
 * What readIdentity accepts: node:crypto's X509Certificate or a tls.PeerCertificate (both have the
 * DER in `raw`; grpc-js's `getAuthContext().sslPeerCertificate` is the latter, or undefined when
 * there is no verified certificate), or an @peculiar/x509 certificate.
 */
export type CertificateSource =
  NodeX509Certificate | x509.X509Certificate | { readonly raw?: Uint8Array | undefined } | null | undefined;

/**
 * Identities by the SHA-256 of the certificate's DER. Bounded: the oldest entry goes first. Only
 * certificates that yield an identity are cached, and the identities are frozen (they are shared).
 */
const CACHE_SIZE = 1024;
const cache = new Map<string, Identity>();

const OID_CN = '2.5.4.3';
const OID_OU = '2.5.4.11';

function derOf(source: CertificateSource): Uint8Array | undefined {
  if (source === null || source === undefined) return undefined;
  if (source instanceof x509.X509Certificate) return new Uint8Array(source.rawData);
  return source.raw && source.raw.length > 0 ? source.raw : undefined;
}

/** All values of one attribute type in a DN, across every RDN (multi-valued RDNs included). */
function attributeValues(name: x509.JsonName, oid: string, shortName: string): string[] {
  const values: string[] = [];
  for (const rdn of name) {
    for (const [type, list] of Object.entries(rdn)) {
      if (type === oid || type === shortName) values.push(...list);
    }
  }
  return values;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
}

/**
 * Returns `{ name, role }` of a verified client certificate, or throws PkiIdentityError saying what is
 * wrong: no certificate, no or several CNs, a CN that is not a valid client name, zero or several
 * OUs, an OU that is not a role. The subject is read from the DER itself, not from Node's string
 * rendering of it, so escaping and multi-valued attributes cannot be misread.
 */
export function readIdentity(source: CertificateSource): Identity {
  const der = derOf(source);
  if (der === undefined) throw new PkiIdentityError('no verified client certificate was presented');
  // The identity is a pure function of the DER, so it is cached by the DER's SHA-256: parsing a
  // certificate costs about 0.4 ms, too much to pay on every call; hashing it costs microseconds.
  const key = createHash('sha256').update(der).digest('base64');
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const identity = Object.freeze(parseIdentity(der));
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(key, identity);
  return identity;
}

/**
 * The length of the DER SEQUENCE that starts `der`, header included, or undefined if it does not
 * start with one. The parser ignores bytes after the certificate; this makes trailing bytes an error.
 */
function derSequenceLength(der: Uint8Array): number | undefined {
  if (der.length < 2 || der[0] !== 0x30) return undefined;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || der.length < 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
  return 2 + count + length;
}

function parseIdentity(der: Uint8Array): Identity {
  if (derSequenceLength(der) !== der.length) {
    throw new PkiIdentityError(
      'the client certificate cannot be parsed: it is not exactly one DER certificate',
    );
  }
  let subject: x509.JsonName;
  try {
    subject = new x509.X509Certificate(der).subjectName.toJSON();
  } catch (err) {
    throw new PkiIdentityError(`the client certificate cannot be parsed: ${(err as Error).message}`, {
      cause: err,
    });
  }

  const cns = attributeValues(subject, OID_CN, 'CN');
  if (cns.length !== 1) {
    throw new PkiIdentityError(
      `the client certificate must have exactly one subject CN (its name), it has ${cns.length}`,
    );
  }
  const name = cns[0]!;
  const problem = clientNameProblem(name);
  if (problem !== undefined) {
    throw new PkiIdentityError(
      `the client certificate's subject CN ${quote(name)} is not a valid name: ${problem}`,
    );
  }

  const ous = attributeValues(subject, OID_OU, 'OU');
  if (ous.length !== 1) {
    throw new PkiIdentityError(
      `the client certificate must have exactly one subject OU (its role: ${ROLES.join(', ')}), it has ${ous.length}`,
    );
  }
  const role = ous[0]!;
  if (!isRole(role)) {
    throw new PkiIdentityError(
      `the client certificate's subject OU ${quote(role)} is not a role (${ROLES.join(', ')})`,
    );
  }
  return { name, role };
}
