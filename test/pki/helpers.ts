/** Shared by the PKI and TLS tests: temporary directories and the openssl CLI as an oracle. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the system temp dir, and a function that removes it. */
export async function makeTempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `workernator-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface OpensslResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function openssl(...args: string[]): OpensslResult {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `openssl verify` of `cert` against exactly `caFile` (no system trust store), with an optional purpose. */
export function opensslVerify(
  caFile: string,
  cert: string,
  purpose?: 'sslserver' | 'sslclient',
): OpensslResult {
  return openssl(
    'verify',
    '-no-CApath',
    '-no-CAstore',
    '-CAfile',
    caFile,
    ...(purpose ? ['-purpose', purpose] : []),
    cert,
  );
}
