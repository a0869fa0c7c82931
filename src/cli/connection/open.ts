/** Turns resolved settings into a connected API client, with one-line errors for bad TLS files. */
import { readFile } from 'node:fs/promises';
import type { TlsMaterial } from '../../pki/client-credentials.js';
import { GrpcJobsApi, type JobsApi } from '../client.js';
import { FileError, PermissionError, TlsError } from '../errors.js';
import type { ConnectionSettings, Sourced } from './settings.js';

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

async function readTlsFile(what: string, file: Sourced): Promise<Buffer> {
  try {
    return await readFile(file.value);
  } catch (error) {
    const code = errnoCode(error);
    const named = `${what} ${file.value} (from ${file.origin})`;
    if (code === 'ENOENT') {
      const hint = file.isDefault
        ? ` — run 'npm start' once to create the development PKI, or pass --ca, --cert and --key`
        : '';
      throw new FileError(`${named} does not exist${hint}`);
    }
    if (code === 'EACCES') throw new PermissionError(`cannot read ${named}: permission denied`);
    if (code === 'EISDIR') throw new FileError(`${named} is a directory, not a file`);
    throw new FileError(`cannot read ${named}: ${(error as Error).message}`);
  }
}

export async function loadTls(settings: ConnectionSettings): Promise<TlsMaterial> {
  // One at a time, so the error names the same file on every run.
  const caPem = await readTlsFile('the server CA certificate', settings.ca);
  const certPem = await readTlsFile('the client certificate', settings.cert);
  const keyPem = await readTlsFile('the client key', settings.key);
  return { caPem, certPem, keyPem };
}

export async function openApi(settings: ConnectionSettings, signal: AbortSignal): Promise<JobsApi> {
  const tls = await loadTls(settings);
  try {
    return new GrpcJobsApi(settings.host.value, tls, signal);
  } catch (error) {
    // createSecureContext refuses malformed PEM or a key that does not match the certificate.
    const reason = (error as Error).message.replace(/^error:[0-9A-F]+:/, '');
    throw new TlsError(
      `the TLS files are not usable (${reason}) — check --ca ${settings.ca.value}, --cert ${settings.cert.value} and --key ${settings.key.value}`,
    );
  }
}
