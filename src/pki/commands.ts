/**
 * The `certs` commands as library calls: `certsInit` makes a whole dev PKI in a TLS directory,
 * `certsIssue` adds a client certificate to one. The CLI only parses flags and prints the result.
 */
import { createCa } from './ca.js';
import {
  assertAbsent,
  CERTIFICATE_MODE,
  ensureDirectory,
  PRIVATE_KEY_MODE,
  readMaterial,
  writeFileExclusive,
} from './files.js';
import { issueClientCertificate, issueServerCertificate, loadCa } from './issue.js';
import { DEFAULT_CLIENT_NAME, initHint, tlsLayout } from './layout.js';
import { validateClientName, validateRole, type Role, type ServerName } from './names.js';
import { validateDays } from './validity.js';

export interface CertsInitOptions {
  readonly tlsDir: string;
  /** Names added to the server certificate's defaults (localhost, 127.0.0.1, ::1). */
  readonly serverNames?: readonly string[];
  /** Replace existing material. Without it, any existing file is an error and nothing is written. */
  readonly force?: boolean;
}

export interface WrittenCertificate {
  readonly certPath: string;
  readonly keyPath: string;
  readonly serial: string;
  readonly notAfter: Date;
}

export interface InitResult {
  readonly tlsDir: string;
  readonly serverCa: WrittenCertificate;
  readonly clientCa: WrittenCertificate;
  readonly server: WrittenCertificate & { readonly serverNames: readonly ServerName[] };
  readonly admin: WrittenCertificate & { readonly name: string; readonly role: Role };
  /** Every file written, in the order written. */
  readonly files: readonly string[];
}

interface PendingFile {
  readonly path: string;
  readonly data: string;
  readonly mode: number;
}

function pair(certPath: string, certPem: string, keyPath: string, keyPem: string): PendingFile[] {
  // The key first: a certificate on disk without its key would look like usable material.
  return [
    { path: keyPath, data: keyPem, mode: PRIVATE_KEY_MODE },
    { path: certPath, data: certPem, mode: CERTIFICATE_MODE },
  ];
}

async function writeAll(files: readonly PendingFile[], force: boolean): Promise<string[]> {
  for (const f of files) await writeFileExclusive(f.path, f.data, { mode: f.mode, force });
  return files.map((f) => f.path);
}

/**
 * Creates the server CA, the client CA, the server certificate and the `admin` client certificate
 * (OU admin) in `tlsDir`. Every input is checked and, without `force`, every target checked to be
 * absent, before anything is written.
 */
export async function certsInit(options: CertsInitOptions): Promise<InitResult> {
  const layout = tlsLayout(options.tlsDir);
  const force = options.force ?? false;
  const admin = layout.client(DEFAULT_CLIENT_NAME);
  const targets = [
    layout.serverCaKey,
    layout.serverCaCert,
    layout.clientCaKey,
    layout.clientCaCert,
    layout.serverKey,
    layout.serverCert,
    admin.key,
    admin.cert,
  ];
  if (!force) await assertAbsent(targets);

  const serverCa = await createCa({ kind: 'server' });
  const clientCa = await createCa({ kind: 'client' });
  const server = await issueServerCertificate(serverCa, { extraNames: options.serverNames ?? [] });
  const adminCert = await issueClientCertificate(clientCa, { name: DEFAULT_CLIENT_NAME, role: 'admin' });

  await ensureDirectory(layout.dir);
  await ensureDirectory(layout.clientsDir);
  const files = await writeAll(
    [
      ...pair(layout.serverCaCert, serverCa.certPem, layout.serverCaKey, serverCa.keyPem),
      ...pair(layout.clientCaCert, clientCa.certPem, layout.clientCaKey, clientCa.keyPem),
      ...pair(layout.serverCert, server.certPem, layout.serverKey, server.keyPem),
      ...pair(admin.cert, adminCert.certPem, admin.key, adminCert.keyPem),
    ],
    force,
  );
  const written = (cert: { serialNumber: string; notAfter: Date }, certPath: string, keyPath: string) => ({
    certPath,
    keyPath,
    serial: cert.serialNumber,
    notAfter: cert.notAfter,
  });
  return {
    tlsDir: layout.dir,
    serverCa: written(serverCa.cert, layout.serverCaCert, layout.serverCaKey),
    clientCa: written(clientCa.cert, layout.clientCaCert, layout.clientCaKey),
    server: { ...written(server.cert, layout.serverCert, layout.serverKey), serverNames: server.serverNames },
    admin: { ...written(adminCert.cert, admin.cert, admin.key), name: DEFAULT_CLIENT_NAME, role: 'admin' },
    files,
  };
}

export interface CertsIssueOptions {
  readonly tlsDir: string;
  /** The client's identity: CN, and the file name clients/<name>.crt|.key. */
  readonly name: string;
  /** One of admin, user, viewer (checked). */
  readonly role: string;
  /** Lifetime in days; default 90. */
  readonly days?: number;
  /** Replace an existing certificate of that name. */
  readonly force?: boolean;
}

export interface IssueResult extends WrittenCertificate {
  readonly name: string;
  readonly role: Role;
}

/** Issues a client certificate signed by the TLS directory's client CA into clients/<name>.crt|.key. */
export async function certsIssue(options: CertsIssueOptions): Promise<IssueResult> {
  const name = validateClientName(options.name);
  const role = validateRole(options.role);
  if (options.days !== undefined) validateDays(options.days);
  const layout = tlsLayout(options.tlsDir);
  const target = layout.client(name);
  const force = options.force ?? false;
  if (!force) await assertAbsent([target.key, target.cert]);

  const hint = initHint(layout.dir);
  const ca = await loadCa(
    await readMaterial(layout.clientCaCert, 'the client CA certificate', hint),
    await readMaterial(layout.clientCaKey, 'the client CA key', hint),
    { kind: 'client', certPath: layout.clientCaCert, keyPath: layout.clientCaKey },
  );
  const issued = await issueClientCertificate(ca, {
    name,
    role,
    ...(options.days !== undefined ? { validity: { days: options.days } } : {}),
  });
  await ensureDirectory(layout.clientsDir);
  await writeAll(pair(target.cert, issued.certPem, target.key, issued.keyPem), force);
  return {
    name,
    role,
    certPath: target.cert,
    keyPath: target.key,
    serial: issued.cert.serialNumber,
    notAfter: issued.cert.notAfter,
  };
}
