/**
 * What goes into each kind of certificate: subject names and extensions. Kept in one place so the
 * CA and leaf profiles can be read side by side.
 */
import type { CryptoKey } from './keys.js';
import type { ServerName } from './names.js';
import { x509 } from './x509.js';

/** Every certificate's subject carries O=Workernator, so a Workernator certificate is recognisable. */
export const ORGANIZATION = 'Workernator';

/** Which side of the TLS connection a CA or a leaf is for. */
export type CertificateKind = 'server' | 'client';

export const EKU_OF: Readonly<Record<CertificateKind, x509.ExtendedKeyUsage>> = {
  server: x509.ExtendedKeyUsage.serverAuth,
  client: x509.ExtendedKeyUsage.clientAuth,
};

/** Subject fields of a certificate. Lists, so tests can build the malformed subjects readIdentity must refuse. */
export interface SubjectFields {
  readonly commonName?: string | undefined;
  readonly organizationalUnits?: readonly string[];
}

/** The subject in RDN order O, OU..., CN; each attribute its own RDN. */
export function subjectName(fields: SubjectFields): x509.JsonName {
  const rdns: x509.JsonName = [{ O: [ORGANIZATION] }];
  for (const ou of fields.organizationalUnits ?? []) rdns.push({ OU: [ou] });
  if (fields.commonName !== undefined) rdns.push({ CN: [fields.commonName] });
  return rdns;
}

/**
 * CA extensions: critical CA:TRUE with pathlen 0 (it signs leaves only, never another CA), critical
 * keyCertSign+cRLSign(+digitalSignature), and an EKU that limits the CA to its side. OpenSSL (so
 * Node) applies a CA's EKU to the chain: a leaf signed by the server CA fails the `sslclient`
 * purpose check even if someone puts both CAs in one trust bundle.
 */
export async function caExtensions(kind: CertificateKind, publicKey: CryptoKey): Promise<x509.Extension[]> {
  const ski = await x509.SubjectKeyIdentifierExtension.create(publicKey);
  return [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([EKU_OF[kind]], false),
    ski,
    // Self-signed: the authority key is its own key.
    new x509.AuthorityKeyIdentifierExtension(ski.keyId, false),
  ];
}

/**
 * Leaf extensions: critical CA:FALSE, critical digitalSignature only (TLS 1.3 with ECDSA signs, it
 * never encrypts to the key), the EKU of its side, SANs for servers.
 */
export async function leafExtensions(
  kind: CertificateKind,
  publicKey: CryptoKey,
  authorityKeyId: string,
  serverNames: readonly ServerName[],
): Promise<x509.Extension[]> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([EKU_OF[kind]], false),
  ];
  if (serverNames.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        serverNames.map((n) => ({ type: n.type, value: n.value })),
        false,
      ),
    );
  }
  extensions.push(
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    new x509.AuthorityKeyIdentifierExtension(authorityKeyId, false),
  );
  return extensions;
}

/** The SubjectKeyIdentifier of a CA certificate (hex); computed from its key if the extension is absent. */
export async function subjectKeyId(cert: x509.X509Certificate): Promise<string> {
  const ext = cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ext) return ext.keyId;
  return (await x509.SubjectKeyIdentifierExtension.create(cert.publicKey)).keyId;
}
