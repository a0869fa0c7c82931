/**
 * The client end of mutual TLS for grpc-js: TLS 1.3 only, AEAD suites only, the client's
 * certificate, and trust in the server CA alone. grpc-js checks the server's name against the
 * certificate's SANs (the dev server certificate has localhost, 127.0.0.1 and ::1).
 */
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { createSecureContext } from 'node:tls';
import { readMaterial } from './files.js';
import { DEFAULT_CLIENT_NAME, initHint, tlsLayout } from './layout.js';
import { TLS_CIPHER_SUITES, TLS_VERSION } from './tls-policy.js';

export interface TlsMaterial {
  /** The CA to trust: for a client the server CA, for the server the client CA. */
  readonly caPem: string | Buffer;
  readonly certPem: string | Buffer;
  readonly keyPem: string | Buffer;
}

export function createClientCredentials(material: TlsMaterial): ChannelCredentials {
  const context = createSecureContext({
    minVersion: TLS_VERSION,
    maxVersion: TLS_VERSION,
    ciphers: TLS_CIPHER_SUITES,
    ca: material.caPem,
    cert: material.certPem,
    key: material.keyPem,
  });
  return credentials.createFromSecureContext(context);
}

export interface ClientTlsPaths {
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** The CLI's default files in a TLS directory: the server CA and clients/<name>.crt|.key (name default admin). */
export function clientTlsPaths(tlsDir: string, name: string = DEFAULT_CLIENT_NAME): ClientTlsPaths {
  const layout = tlsLayout(tlsDir);
  const client = layout.client(name);
  return { caPath: layout.serverCaCert, certPath: client.cert, keyPath: client.key };
}

/** Reads the client's TLS files, with errors that name the missing or unreadable file. */
export async function loadClientTls(paths: ClientTlsPaths, tlsDirForHint?: string): Promise<TlsMaterial> {
  const hint =
    tlsDirForHint !== undefined
      ? initHint(tlsDirForHint)
      : 'pass the right file, or create a PKI with: workernatord certs init --tls-dir DIR';
  // One at a time, so the error names the same file on every run.
  const caPem = await readMaterial(paths.caPath, 'the server CA certificate', hint);
  const certPem = await readMaterial(paths.certPath, 'the client certificate', hint);
  const keyPem = await readMaterial(paths.keyPath, 'the client key', hint);
  return { caPem, certPem, keyPem };
}
