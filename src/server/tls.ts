/**
 * The server end of mutual TLS for grpc-js: TLS 1.3 only, AEAD suites only, a client certificate
 * required and verified against the client CA (chain, lifetime, EKU clientAuth) before any HTTP/2
 * frame is read. Who the client is comes afterwards, per call, from readIdentity.
 */
import { ServerCredentials } from '@grpc/grpc-js';
import type { SecureServerOptions } from 'node:http2';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { PkiInvalidMaterialError } from '../pki/errors.js';
import { readMaterial } from '../pki/files.js';
import { initHint, tlsLayout } from '../pki/layout.js';
import { TLS_CIPHER_SUITES, TLS_VERSION } from '../pki/tls-policy.js';
import type { TlsMaterial } from '../pki/client-credentials.js';

export type { TlsMaterial };

/** The context options of every handshake: TLS 1.3 only, our suites, and the material. */
function contextOptions(material: TlsMaterial): SecureContextOptions {
  return {
    minVersion: TLS_VERSION,
    maxVersion: TLS_VERSION,
    ciphers: TLS_CIPHER_SUITES,
    ca: material.caPem,
    cert: material.certPem,
    key: material.keyPem,
  };
}

export interface ServerTlsOptions {
  /**
   * A connection that has not finished its TLS handshake this many milliseconds after it was accepted
   * is closed (the server closes one that has not sent the HTTP/2 preface by then either: see
   * server.ts).
   */
  readonly handshakeTimeoutMs: number;
}

/**
 * grpc-js's `ServerCredentials.createSsl` cannot set a TLS version or suites, so this subclass passes
 * Node's own options. grpc-js spreads the constructor options and then the context options into
 * `http2.createSecureServer`, context last: the version and suites are in both, so neither can be
 * lost, and they are in the context options that grpc-js reuses for `setSecureContext`.
 *
 * Reload: grpc-js registers a watcher on its credentials for every server it binds with them, and
 * `updateSecureContextOptions` (protected, the hook its certificate providers use) hands new context
 * options to each watcher, which calls `setSecureContext` on the bound TLS server. New handshakes get
 * the new context; connections already open keep theirs, so live streams are untouched. The full
 * options are passed every time: `setSecureContext` resets what it is not given, and a context
 * without minVersion would let TLS 1.2 back in. (grpc-js's own CertificateProviderServerCredentials
 * passes only ca/cert/key, which is why it is not used here.)
 */
export class ReloadableServerCredentials extends ServerCredentials {
  constructor(material: TlsMaterial, options: ServerTlsOptions) {
    const context = contextOptions(material);
    const server: SecureServerOptions = {
      ...context,
      // A client without a certificate, or with one the client CA did not sign, never gets past the handshake.
      requestCert: true,
      rejectUnauthorized: true,
      // gRPC is HTTP/2 only.
      allowHTTP1: false,
      // Node's default is 120 s: a client that opens connections and never finishes them would hold
      // a socket each for two minutes.
      handshakeTimeout: options.handshakeTimeoutMs,
      // A client that finishes TLS without choosing h2 by ALPN gets an HTTP/1 403 and is closed; if it
      // does not close its end, Node destroys the socket after this (its default is 10 s).
      unknownProtocolTimeout: options.handshakeTimeoutMs,
    };
    super(server, context);
  }

  /**
   * Swaps the certificate, key and client CA for new handshakes. The material is turned into a
   * secure context here first, so that material Node refuses throws to the caller and leaves the old
   * context serving: grpc-js, when `setSecureContext` throws, marks its credentials invalid and drops
   * every new connection.
   */
  reload(material: TlsMaterial): void {
    const context = contextOptions(material);
    createSecureContext(context);
    this.updateSecureContextOptions(context);
  }

  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/**
 * Server credentials for mutual TLS 1.3. `caPem` is the CLIENT CA: the only CA whose certificates
 * the server accepts from clients.
 */
export function createServerCredentials(
  material: TlsMaterial,
  options: ServerTlsOptions = { handshakeTimeoutMs: 10_000 },
): ReloadableServerCredentials {
  return new ReloadableServerCredentials(material, options);
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
