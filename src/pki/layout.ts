/**
 * Where the PKI lives on disk. The server (--tls-dir), the CLI's defaults and `certs init/issue`
 * all take their paths from here, so there is one definition of the layout.
 */
import { join, resolve } from 'node:path';
import { validateClientName } from './names.js';

export interface TlsLayout {
  /** The TLS directory itself (absolute). */
  readonly dir: string;
  readonly serverCaCert: string;
  readonly serverCaKey: string;
  readonly clientCaCert: string;
  readonly clientCaKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientsDir: string;
  /** The certificate and key of client `name`; throws PkiInvalidNameError for a name that is not a safe file name. */
  client(name: string): { readonly cert: string; readonly key: string };
}

/** The name of the client certificate `certs init` makes, and the CLI's default identity. */
export const DEFAULT_CLIENT_NAME = 'admin';

export function tlsLayout(dir: string): TlsLayout {
  const root = resolve(dir);
  const clientsDir = join(root, 'clients');
  return {
    dir: root,
    serverCaCert: join(root, 'server-ca.crt'),
    serverCaKey: join(root, 'server-ca.key'),
    clientCaCert: join(root, 'client-ca.crt'),
    clientCaKey: join(root, 'client-ca.key'),
    serverCert: join(root, 'server.crt'),
    serverKey: join(root, 'server.key'),
    clientsDir,
    client(name: string) {
      // Validated here too, so no caller can turn a name into a path outside clients/.
      const safe = validateClientName(name);
      return { cert: join(clientsDir, `${safe}.crt`), key: join(clientsDir, `${safe}.key`) };
    },
  };
}

/** The command that creates a TLS directory, for error messages that tell the user what to do. */
export function initHint(dir: string): string {
  return `create it with: workernatord certs init --tls-dir ${shellQuote(resolve(dir))}`;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
