/**
 * Reading and writing PKI files. Keys are created 0600 (never chmod'ed after, so there is no moment
 * at which another user could open them), directories 0700, and existing material is never
 * replaced unless the caller forces it.
 */
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PkiExistsError, PkiInvalidMaterialError, PkiMissingError, PkiUnreadableError } from './errors.js';

export const PRIVATE_KEY_MODE = 0o600;
/** Certificates are public; the directory around them is 0700 anyway. */
export const CERTIFICATE_MODE = 0o644;
export const DIRECTORY_MODE = 0o700;

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/** Creates `path` (and missing parents) with mode 0700. An existing directory is left as it is. */
export async function ensureDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: DIRECTORY_MODE });
  const st = await lstat(path);
  if (!st.isDirectory()) throw new PkiInvalidMaterialError(path, 'exists and is not a directory');
}

/** Throws PkiExistsError for the first path that exists (as anything, a dangling symlink too). */
export async function assertAbsent(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    try {
      await lstat(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw err;
    }
    throw new PkiExistsError(path);
  }
}

/**
 * Writes `data` to `path` as a whole or not at all: into a new temporary file in the same
 * directory, created with `mode`, synced, then put in place. Without `force`, link(2) puts it in
 * place and fails if `path` exists, even if it appeared after an earlier check; with `force`,
 * rename(2) replaces the old file atomically (a symlink at `path` is replaced, not followed).
 */
export async function writeFileExclusive(
  path: string,
  data: string,
  options: { readonly mode: number; readonly force?: boolean },
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', options.mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.force) {
      await rename(tmp, path);
      return;
    }
    try {
      await link(tmp, path);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') throw new PkiExistsError(path);
      throw err;
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Reads a PEM file the PKI or the TLS setup needs. `what` says what it is ("the client CA
 * certificate"), `hint` how to create it; both end up in the error.
 */
export async function readMaterial(path: string, what: string, hint: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new PkiMissingError(path, what, hint, { cause: err });
    const code = errnoCode(err);
    const reason =
      code === 'EISDIR'
        ? 'it is a directory'
        : code === 'EACCES'
          ? 'permission denied'
          : (err as Error).message;
    throw new PkiUnreadableError(path, what, reason, { cause: err });
  }
}
