/** Opens the job store's SQLite file with the right file modes and connection settings. */
import { closeSync, constants as fsConstants, fchmodSync, mkdirSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { JobStoreError } from './errors.js';

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Creates the data directory 0700 when missing; an existing one is the administrator's to set. */
function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/**
 * Creates the database file 0600 before SQLite sees it: SQLite would create it 0644 (less umask),
 * readable by every local user, and the jobs' arguments and environments may hold secrets. SQLite
 * gives the -wal and -shm files the mode of the database file, so they are 0600 too. An existing
 * file keeps its mode.
 */
function ensureDbFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return;
    throw error;
  }
  try {
    fchmodSync(fd, 0o600); // whatever the umask
  } finally {
    closeSync(fd);
  }
}

function configure(db: Database.Database, path: string): void {
  // Wait for another connection's lock (a second process, a backup) instead of failing at once.
  db.pragma('busy_timeout = 5000');
  // WAL: readers never block the writer, and a commit is one append.
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    // Without WAL, synchronous=NORMAL below could corrupt the file on power loss: refuse instead.
    throw new JobStoreError(
      `open ${path}`,
      undefined,
      `SQLite refused WAL mode (journal_mode is ${String(mode)}); put the data directory on a local file system`,
    );
  }
  // NORMAL in WAL mode fsyncs at checkpoints, not at every commit: a crash of this process loses
  // nothing (the WAL is in the OS's page cache) and the database is never corrupted; only a power
  // loss or kernel crash may roll back the last commits, and the restart's markUnfinishedAsLost
  // then settles any job whose end was rolled back. FULL would fsync on every job state change.
  db.pragma('synchronous = NORMAL');
  // No foreign keys yet; on now so that future tables get them enforced.
  db.pragma('foreign_keys = ON');
}

/**
 * Creates the directory and file as needed and opens a configured connection to `path`, which is
 * `dataDir`'s database file. Throws whatever failed (fs, SQLite): the caller names the step.
 */
export function openDatabase(dataDir: string, path: string): Database.Database {
  ensureDataDir(dataDir);
  ensureDbFile(path);
  // fileMustExist: should the file vanish between the two calls, SQLite must not recreate it 0644.
  const db = new Database(path, { fileMustExist: true });
  try {
    configure(db, path);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
