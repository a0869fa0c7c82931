/**
 * Issuing leaf certificates: a server certificate (SANs, EKU serverAuth) or a client certificate
 * (CN = name, OU = role, EKU clientAuth), each with a fresh P-256 key, signed by a CA loaded from PEM.
 */
import { createPrivateKey } from 'node:crypto';
import type { CertificateAuthority } from './ca.js';
import { PkiInvalidArgumentError, PkiInvalidMaterialError } from './errors.js';
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem, SIGNING_ALGORITHM } from './keys.js';
import { serverNames, validateClientName, validateRole, type Role, type ServerName } from './names.js';
import { certificateToPem, parseCertificatePem, toNodeCertificate } from './pem.js';
import {
  EKU_OF,
  leafExtensions,
  subjectKeyId,
  subjectName,
  type CertificateKind,
  type SubjectFields,
} from './profile.js';
import {
  DEFAULT_CLIENT_DAYS,
  DEFAULT_SERVER_DAYS,
  randomSerialHex,
  resolveValidity,
  type ValidityOptions,
} from './validity.js';
import { x509 } from './x509.js';

export interface IssuedCertificate {
  readonly cert: x509.X509Certificate;
  readonly certPem: string;
  readonly keyPem: string;
}

export interface LoadCaOptions {
  /** The side the CA must be for: a client certificate is never signed by the server CA. */
  readonly kind: CertificateKind;
  /** For error messages. */
  readonly certPath?: string;
  readonly keyPath?: string;
  readonly now?: Date;
}

/**
 * Loads a CA from its PEM certificate and key and checks it can sign for `kind`: it is a CA, its
 * EKU (if any) allows that side, it has not expired, and the key is the certificate's key.
 */
export async function loadCa(
  certPem: string,
  keyPem: string,
  options: LoadCaOptions,
): Promise<CertificateAuthority> {
  const { kind, certPath, keyPath } = options;
  const cert = parseCertificatePem(certPem, certPath);
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  if (!bc?.ca)
    throw new PkiInvalidMaterialError(certPath, 'this certificate is not a CA (no basicConstraints CA:TRUE)');
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  if (eku && !eku.usages.includes(EKU_OF[kind])) {
    throw new PkiInvalidMaterialError(
      certPath,
      `this CA is not for ${kind} certificates (its extended key usage excludes ${kind}Auth)`,
    );
  }
  const now = options.now ?? new Date();
  if (cert.notAfter.getTime() <= now.getTime()) {
    throw new PkiInvalidMaterialError(certPath, `this CA expired on ${cert.notAfter.toISOString()}`);
  }
  const signingKey = await importPrivateKeyPem(keyPem, keyPath);
  // Signing with a key that is not the CA's would produce certificates nothing verifies.
  if (!toNodeCertificate(cert).checkPrivateKey(createPrivateKey(keyPem))) {
    throw new PkiInvalidMaterialError(
      keyPath,
      `this key is not the key of the CA certificate ${certPath ?? ''}`.trimEnd(),
    );
  }
  return { kind, cert, certPem: certificateToPem(cert), signingKey, keyId: await subjectKeyId(cert) };
}

export interface IssueCertificateOptions {
  readonly kind: CertificateKind;
  readonly subject: SubjectFields;
  /** SubjectAltNames; server certificates only. */
  readonly serverNames?: readonly ServerName[];
  readonly validity?: ValidityOptions;
}

/**
 * Issues a leaf certificate with exactly the subject given, unchecked: the building block of the
 * two functions below, exported so tests can make the malformed certificates the server must refuse.
 */
export async function issueCertificate(
  ca: CertificateAuthority,
  options: IssueCertificateOptions,
): Promise<IssuedCertificate> {
  if (ca.kind !== options.kind) {
    throw new PkiInvalidArgumentError('ca', `the ${ca.kind} CA does not sign ${options.kind} certificates`);
  }
  const { notBefore, notAfter } = resolveValidity(
    options.validity,
    options.kind === 'server' ? DEFAULT_SERVER_DAYS : DEFAULT_CLIENT_DAYS,
  );
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: subjectName(options.subject),
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: await leafExtensions(options.kind, keys.publicKey, ca.keyId, options.serverNames ?? []),
  });
  return { cert, certPem: certificateToPem(cert), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

export interface IssueServerOptions {
  /** Names added to the defaults (localhost, 127.0.0.1, ::1); IP addresses become IP SANs. */
  readonly extraNames?: readonly string[];
  /** Default lifetime: 1 year. */
  readonly validity?: ValidityOptions;
}

/** The server's certificate: CN=workernatord, SANs for every name a client may dial. */
export async function issueServerCertificate(
  ca: CertificateAuthority,
  options: IssueServerOptions = {},
): Promise<IssuedCertificate & { readonly serverNames: readonly ServerName[] }> {
  const names = serverNames(options.extraNames);
  const issued = await issueCertificate(ca, {
    kind: 'server',
    subject: { commonName: 'workernatord' },
    serverNames: names,
    ...(options.validity ? { validity: options.validity } : {}),
  });
  return { ...issued, serverNames: names };
}

export interface IssueClientOptions {
  /** The identity: the subject CN, and the file name under clients/. */
  readonly name: string;
  /** The role: the one subject OU. */
  readonly role: Role;
  /** Default lifetime: 90 days. */
  readonly validity?: ValidityOptions;
}

export async function issueClientCertificate(
  ca: CertificateAuthority,
  options: IssueClientOptions,
): Promise<IssuedCertificate> {
  return issueCertificate(ca, {
    kind: 'client',
    subject: {
      commonName: validateClientName(options.name),
      organizationalUnits: [validateRole(options.role)],
    },
    ...(options.validity ? { validity: options.validity } : {}),
  });
}
