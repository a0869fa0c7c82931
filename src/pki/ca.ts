/** Creating a certificate authority: a self-signed ECDSA P-256 certificate for one side of TLS. */
import { exportPrivateKeyPem, generateKeyPair, SIGNING_ALGORITHM, type CryptoKey } from './keys.js';
import { certificateToPem } from './pem.js';
import { caExtensions, subjectKeyId, subjectName, type CertificateKind } from './profile.js';
import { DEFAULT_CA_DAYS, randomSerialHex, resolveValidity, type ValidityOptions } from './validity.js';
import { x509 } from './x509.js';

/** A CA ready to sign: its certificate and the private key that signs with it. */
export interface CertificateAuthority {
  readonly kind: CertificateKind;
  readonly cert: x509.X509Certificate;
  readonly certPem: string;
  readonly signingKey: CryptoKey;
  /** The CA's SubjectKeyIdentifier (hex), copied into the AuthorityKeyIdentifier of what it signs. */
  readonly keyId: string;
}

export interface CreatedCa extends CertificateAuthority {
  readonly keyPem: string;
}

export interface CreateCaOptions {
  readonly kind: CertificateKind;
  /** Default: "Workernator server CA" or "Workernator client CA". */
  readonly commonName?: string;
  /** Default lifetime: 5 years. */
  readonly validity?: ValidityOptions;
}

export async function createCa(options: CreateCaOptions): Promise<CreatedCa> {
  const { notBefore, notAfter } = resolveValidity(options.validity, DEFAULT_CA_DAYS);
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: subjectName({ commonName: options.commonName ?? `Workernator ${options.kind} CA` }),
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: await caExtensions(options.kind, keys.publicKey),
  });
  return {
    kind: options.kind,
    cert,
    certPem: certificateToPem(cert),
    keyPem: await exportPrivateKeyPem(keys.privateKey),
    signingKey: keys.privateKey,
    keyId: await subjectKeyId(cert),
  };
}
