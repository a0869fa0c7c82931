/**
 * The job store's schema, as an ordered list of migrations. Migration i (from 0) takes the database
 * from `PRAGMA user_version` i to i + 1. Released migrations are never edited, only appended to: a
 * database in the field has already run them.
 */
import type Database from 'better-sqlite3';
import { JobStoreError, UnsupportedStoreVersionError } from './errors.js';

/** Marks the file as a Workernator job store ("WNJS"), so the store never migrates someone else's DB. */
export const APPLICATION_ID = 0x574e4a53;

// The status and type lists are spelled out rather than built from JOB_STATUSES / JOB_TYPES: a
// migration must mean the same thing forever, and a new status needs a new migration anyway (SQLite
// cannot alter a CHECK constraint in place). A test checks these lists against the types.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE jobs (
    id           TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 6),
    type         TEXT    NOT NULL
                 CHECK (type IN ('noop', 'fibonacci', 'expression-evaluator', 'wait-then-send', 'command')),
    args         TEXT    NOT NULL CHECK (json_valid(args) AND json_extract(args, '$.type') = type),
    owner        TEXT    NOT NULL,
    status       TEXT    NOT NULL
                 CHECK (status IN ('pending', 'running', 'complete', 'failed', 'stopped', 'lost')),
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER,
    exit_code    INTEGER,
    signal       TEXT,
    error        TEXT,
    limits       TEXT    NOT NULL CHECK (json_valid(limits)),
    usage        TEXT             CHECK (usage IS NULL OR json_valid(usage)),
    isolation    TEXT    NOT NULL CHECK (json_valid(isolation)),
    output_bytes INTEGER NOT NULL CHECK (output_bytes >= 0)
  ) STRICT;

  -- list(): newest first, by (created_at, id), for everyone or for one owner.
  CREATE INDEX jobs_by_created ON jobs (created_at DESC, id DESC);
  CREATE INDEX jobs_by_owner_created ON jobs (owner, created_at DESC, id DESC);
  -- markUnfinishedAsLost(), countByStatus(), endedJobsOldestFirst(), status filters.
  CREATE INDEX jobs_by_status ON jobs (status, finished_at);

  PRAGMA application_id = ${APPLICATION_ID};
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function readVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database up to SCHEMA_VERSION, one transaction per migration, and refuses a database
 * that is newer than this code or that is not a job store. Throws WorkernatorErrors only.
 */
export function migrate(db: Database.Database, path: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const found = readVersion(db);
  if (applicationId !== APPLICATION_ID && (applicationId !== 0 || found !== 0)) {
    throw new JobStoreError(
      `open ${path}`,
      undefined,
      `not a Workernator job store (application_id ${applicationId}, user_version ${found})`,
    );
  }
  if (found > SCHEMA_VERSION) throw new UnsupportedStoreVersionError(path, found, SCHEMA_VERSION);

  for (let version = found; version < SCHEMA_VERSION; version++) {
    const step = (): void => {
      // Re-read inside the write lock: another process may have run this step since we looked.
      if (readVersion(db) !== version) return;
      db.exec(MIGRATIONS[version] ?? '');
      // user_version lives in the database header, so it commits or rolls back with the step.
      db.pragma(`user_version = ${version + 1}`);
    };
    try {
      // IMMEDIATE takes the write lock before the version check, so two processes cannot both run it.
      db.transaction(step).immediate();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new JobStoreError(
        `migrate ${path} to version ${version + 1}`,
        typeof code === 'string' ? code : undefined,
        error instanceof Error ? error.message : String(error),
        { cause: error },
      );
    }
  }
}
