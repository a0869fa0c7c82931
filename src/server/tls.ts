/**
 * The server end of mutual TLS for grpc-js: TLS 1.3 only, AEAD suites only, a client certificate
 * required and verified against the client CA (chain, lifetime, EKU clientAuth) before any HTTP/2
 * frame is read. Who the client is comes afterwards, per call, from readIdentity.
 */
import { ServerCredentials } from '@grpc/grpc-js';
import type { SecureServerOptions } from 'node:http2';
import type { SecureContextOptions } from 'node:tls';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { PkiInvalidMaterialError } from '../pki/errors.js';
import { readMaterial } from '../pki/files.js';
import { initHint, tlsLayout } from '../pki/layout.js';
import { TLS_CIPHER_SUITES, TLS_VERSION } from '../pki/tls-policy.js';
import type { TlsMaterial } from '../pki/client-credentials.js';

export type { TlsMaterial };

/**
 * grpc-js's `ServerCredentials.createSsl` cannot set a TLS version or suites, so this subclass passes
 * Node's own options. grpc-js spreads the constructor options and then the context options into
 * `http2.createSecureServer`, context last: the version and suites are in both, so neither can be
 * lost, and they are in the context options that grpc-js reuses for `setSecureContext`.
 */
class MutualTls13ServerCredentials extends ServerCredentials {
  constructor(material: TlsMaterial) {
    const context: SecureContextOptions = {
      minVersion: TLS_VERSION,
      maxVersion: TLS_VERSION,
      ciphers: TLS_CIPHER_SUITES,
      ca: material.caPem,
      cert: material.certPem,
      key: material.keyPem,
    };
    const server: SecureServerOptions = {
      ...context,
      // A client without a certificate, or with one the client CA did not sign, never gets past the handshake.
      requestCert: true,
      rejectUnauthorized: true,
      // gRPC is HTTP/2 only.
      allowHTTP1: false,
    };
    super(server, context);
  }

  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/**
 * Server credentials for mutual TLS 1.3. `caPem` is the CLIENT CA: the only CA whose certificates
 * the server accepts from clients.
 */
export function createServerCredentials(material: TlsMaterial): ServerCredentials {
  return new MutualTls13ServerCredentials(material);
}

/**
 * Reads the server's TLS files from a TLS directory (client-ca.crt, server.crt, server.key) and
 * checks them before the server binds: each file present and readable, PEM of the right kind, and
 * the key matching the certificate. Errors name the file and say how to create the directory.
 */
export async function loadServerTls(tlsDir: string): Promise<TlsMaterial> {
  const layout = tlsLayout(tlsDir);
  const hint = initHint(layout.dir);
  const caPem = await readMaterial(layout.clientCaCert, 'the client CA certificate', hint);
  const certPem = await readMaterial(layout.serverCert, 'the server certificate', hint);
  const keyPem = await readMaterial(layout.serverKey, 'the server key', hint);

  const parse = (pem: string, path: string): X509Certificate => {
    try {
      return new X509Certificate(pem);
    } catch (err) {
      throw new PkiInvalidMaterialError(path, `not a PEM certificate: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  const ca = parse(caPem, layout.clientCaCert);
  if (!ca.ca) throw new PkiInvalidMaterialError(layout.clientCaCert, 'this certificate is not a CA');
  const cert = parse(certPem, layout.serverCert);
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new PkiInvalidMaterialError(layout.serverKey, `not a PEM private key: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!cert.checkPrivateKey(key)) {
    throw new PkiInvalidMaterialError(layout.serverKey, `this key is not the key of ${layout.serverCert}`);
  }
  return { caPem, certPem, keyPem };
}
