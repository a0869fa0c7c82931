/** Certificates to and from PEM, with errors that name the file. */
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { PkiInvalidMaterialError } from './errors.js';
import { x509 } from './x509.js';

export function certificateToPem(cert: x509.X509Certificate): string {
  return cert.toString('pem') + '\n';
}

/** Parses the first certificate of a PEM file. */
export function parseCertificatePem(pem: string, path?: string): x509.X509Certificate {
  try {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no "BEGIN CERTIFICATE" block');
    return new x509.X509Certificate(pem);
  } catch (err) {
    throw new PkiInvalidMaterialError(path, `not a PEM certificate: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Node's view of a certificate, for the checks only OpenSSL does (key match, signature chain). */
export function toNodeCertificate(cert: x509.X509Certificate): NodeX509Certificate {
  return new NodeX509Certificate(Buffer.from(cert.rawData));
}
