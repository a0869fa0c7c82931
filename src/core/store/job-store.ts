/**
 * The job store: every job the server has run, in SQLite (`<dataDir>/jobs.db`), so job history and
 * the jobs a crash interrupted survive a restart. Synchronous on purpose: each call is a few
 * indexed row operations, cheaper than a thread hop, and it makes every method atomic in-process.
 */
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { InvalidArgumentError, JobNotFoundError, WorkernatorError } from '../errors.js';
import { assertValidJobId, newJobId } from '../ids.js';
import { ENDED_STATUSES, JOB_STATUSES } from '../types.js';
import type { Job, JobStatus } from '../types.js';
import { encodeCursor } from './cursor.js';
import { DuplicateJobIdError, JobStoreError } from './errors.js';
import { applyPatch } from './job-patch.js';
import type { JobPatch } from './job-patch.js';
import { fromRow, toRow } from './job-row.js';
import type { JobRow } from './job-row.js';
import { planList } from './list-query.js';
import type { ListParams, ListQuery, ListResult } from './list-query.js';
import { migrate } from './migrations.js';
import { errorCode, openDatabase } from './open-database.js';

export type { JobPatch } from './job-patch.js';
export { MAX_LIST_LIMIT } from './list-query.js';
export type { ListQuery, ListResult } from './list-query.js';

export const DB_FILE_NAME = 'jobs.db';
/** With 2^30 IDs, 20 collisions in a row mean a broken generator, not bad luck. */
export const MAX_ID_ATTEMPTS = 20;

export interface EndedJob {
  readonly id: string;
  readonly finishedAt: number;
  readonly outputBytes: number;
}

const IMMUTABLE_COLUMNS: ReadonlySet<keyof JobRow> = new Set(['id', 'type', 'args', 'owner', 'created_at']);
const COLUMNS = [
  'id',
  'type',
  'args',
  'owner',
  'status',
  'created_at',
  'started_at',
  'finished_at',
  'exit_code',
  'signal',
  'error',
  'limits',
  'usage',
  'isolation',
  'output_bytes',
] as const satisfies readonly (keyof JobRow)[];

/** A SQL list of fixed status names, e.g. `('pending', 'running')`. Only for code constants. */
function sqlList(values: readonly string[]): string {
  return `(${values.map((value) => `'${value.replaceAll("'", "''")}'`).join(', ')})`;
}

const UNFINISHED_STATUSES = JOB_STATUSES.filter((status) => !ENDED_STATUSES.has(status));

/**
 * Turns a SQLite failure (or, while opening, any failure: fs, native module) into a JobStoreError
 * that names the step. Other errors pass unchanged: ours, and whatever a caller's callback threw.
 */
function storeError(step: string, error: unknown, anyFailure = false): unknown {
  if (error instanceof WorkernatorError) return error;
  if (!anyFailure && !(error instanceof Database.SqliteError)) return error;
  return new JobStoreError(step, errorCode(error), error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

export class JobStore {
  /** Absolute path of the database file. */
  readonly path: string;
  readonly #db: Database.Database;
  #closed = false;

  readonly #insert: Database.Statement<[JobRow], unknown>;
  readonly #get: Database.Statement<[string], JobRow>;
  readonly #exists: Database.Statement<[string], { found: number }>;
  readonly #update: Database.Statement<[JobRow], unknown>;
  readonly #delete: Database.Statement<[string], unknown>;
  readonly #markLost: Database.Statement<[string, number], { id: string; created_at: number }>;
  readonly #ended: Database.Statement<[], EndedJob>;
  readonly #count: Database.Statement<[], { status: string; n: number }>;
  readonly #endedBytes: Database.Statement<[], { total: number }>;
  /** One statement per filter shape (at most 8), each prepared on first use. */
  readonly #listStatements = new Map<string, Database.Statement<[ListParams], JobRow>>();

  readonly #insertNewTx: Database.Transaction<(make: (id: string) => Job, generate: () => string) => Job>;
  readonly #updateTx: Database.Transaction<(id: string, patch: JobPatch) => Job>;
  readonly #deleteManyTx: Database.Transaction<(ids: readonly string[]) => void>;
  readonly #markLostTx: Database.Transaction<(reason: string, now: number) => string[]>;

  private constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.path = path;
    const values = COLUMNS.map((column) => `@${column}`).join(', ');
    const assignments = COLUMNS.filter((column) => !IMMUTABLE_COLUMNS.has(column))
      .map((column) => `${column} = @${column}`)
      .join(', ');
    this.#insert = db.prepare(`INSERT INTO jobs (${COLUMNS.join(', ')}) VALUES (${values})`);
    this.#get = db.prepare('SELECT * FROM jobs WHERE id = ?');
    this.#exists = db.prepare('SELECT 1 AS found FROM jobs WHERE id = ?');
    // Only the mutable columns: identity and request never change after the insert.
    this.#update = db.prepare(`UPDATE jobs SET ${assignments} WHERE id = @id`);
    this.#delete = db.prepare('DELETE FROM jobs WHERE id = ?');
    this.#markLost = db.prepare(
      `UPDATE jobs SET status = 'lost', error = ?, finished_at = ?
       WHERE status IN ${sqlList(UNFINISHED_STATUSES)} RETURNING id, created_at`,
    );
    // finished_at is set on every ended job; created_at stands in should a row lack it.
    this.#ended = db.prepare(
      `SELECT id, COALESCE(finished_at, created_at) AS finishedAt, output_bytes AS outputBytes FROM jobs
       WHERE status IN ${sqlList([...ENDED_STATUSES])} ORDER BY finishedAt, id`,
    );
    this.#count = db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status');
    this.#endedBytes = db.prepare(
      `SELECT COALESCE(SUM(output_bytes), 0) AS total FROM jobs WHERE status IN ${sqlList([...ENDED_STATUSES])}`,
    );

    this.#insertNewTx = db.transaction((make: (id: string) => Job, generate: () => string): Job => {
      for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
        const id = assertValidJobId(generate());
        if (this.#exists.get(id) !== undefined) continue;
        const job = make(id);
        if (job.id !== id) {
          throw new InvalidArgumentError('id', `the new job has ID ${job.id}, but was given ${id}`);
        }
        return this.#insertRow(toRow(job));
      }
      throw new JobStoreError(
        'insert a new job',
        undefined,
        `no free job ID after ${MAX_ID_ATTEMPTS} attempts`,
      );
    });

    this.#updateTx = db.transaction((id: string, patch: JobPatch): Job => {
      const row = this.#get.get(id);
      if (row === undefined) throw new JobNotFoundError(id);
      const nextRow = toRow(applyPatch(fromRow(row), patch));
      this.#update.run(nextRow);
      return fromRow(nextRow);
    });

    this.#deleteManyTx = db.transaction((ids: readonly string[]) => {
      for (const id of ids) this.#delete.run(id);
    });
    this.#markLostTx = db.transaction((reason: string, now: number): string[] =>
      this.#markLost
        .all(reason, now)
        .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1))
        .map((row) => row.id),
    );
  }

  /** Opens (creating and migrating as needed) the store in `<dataDir>/jobs.db`. */
  static open(dataDir: string): JobStore {
    const path = join(resolve(dataDir), DB_FILE_NAME);
    let db: Database.Database | undefined;
    try {
      db = openDatabase(dataDir, path);
      migrate(db, path);
      return new JobStore(db, path);
    } catch (error) {
      try {
        db?.close();
      } catch {
        // The open error below is the one worth reporting.
      }
      throw storeError(`open ${path}`, error, true);
    }
  }

  /** Records a new job. Throws DuplicateJobIdError when its ID is taken. */
  insert(job: Job): void {
    const id = assertValidJobId(job.id);
    const row = toRow(job);
    this.#run(`insert ${id}`, () => this.#insertRow(row));
  }

  /**
   * Records the job that `make` builds around a fresh ID: draws IDs from `generate` until one is
   * free, in the same write transaction as the insert, so no other writer can take it in between.
   * Returns the job as stored. Errors thrown by `make` pass through, and nothing is written.
   */
  insertWithNewId(make: (id: string) => Job, generate: () => string = newJobId): Job {
    return this.#run('insert a new job', () => this.#insertNewTx.immediate(make, generate));
  }

  /** The job, or undefined when there is none with this ID. Throws InvalidJobIdError for a malformed ID. */
  get(id: string): Job | undefined {
    assertValidJobId(id);
    const row = this.#run(`get ${id}`, () => this.#get.get(id));
    return row === undefined ? undefined : fromRow(row);
  }

  /**
   * Applies `patch` and returns the job as now stored. A key present with the value undefined clears
   * an optional field; status, limits, isolation and outputBytes cannot be cleared.
   */
  update(id: string, patch: JobPatch): Job {
    assertValidJobId(id);
    return this.#run(`update ${id}`, () => this.#updateTx.immediate(id, patch));
  }

  /** Newest first by (createdAt, id), one page at a time (keyset pagination: stable under inserts). */
  list(query: ListQuery): ListResult {
    const { sql, params } = planList(query);
    const rows = this.#run('list', () => this.#listStatement(sql).all(params));
    const jobs = rows.slice(0, query.limit).map(fromRow);
    const last = jobs.at(-1);
    if (rows.length <= query.limit || last === undefined) return { jobs };
    return { jobs, nextCursor: encodeCursor({ createdAt: last.createdAt, id: last.id }) };
  }

  /**
   * At start-up, before any job runs: every job that an earlier process left pending or running
   * ended without anyone recording it. They become `lost`, all at once. Returns their IDs, oldest first.
   */
  markUnfinishedAsLost(reason: string, now: number): string[] {
    if (!Number.isSafeInteger(now))
      throw new InvalidArgumentError('now', `must be a safe integer, got ${now}`);
    return this.#run('mark unfinished jobs as lost', () => this.#markLostTx.immediate(reason, now));
  }

  /**
   * The ended jobs, the longest-finished first (what the retention policy deletes first), read lazily: the retention sweep stops at the first job it keeps,
   * so a sweep after each job end costs a row or two, not the whole table. Finish (or break out of)
   * the iteration before writing to the store: SQLite is busy while it is open.
   */
  iterateEndedJobsOldestFirst(): IterableIterator<EndedJob> {
    return this.#run('list ended jobs', () => this.#ended.iterate());
  }

  /** Bytes of output recorded by all ended jobs. */
  endedOutputBytes(): number {
    return this.#run('sum ended output', () => this.#endedBytes.get()?.total ?? 0);
  }

  /**
   * Deletes the job's row (not its output file). A row that is already gone is not an error: the
   * retention sweep works from a list taken earlier, and an overlapping sweep may have been first.
   */
  delete(id: string): void {
    assertValidJobId(id);
    this.#run(`delete ${id}`, () => this.#delete.run(id));
  }

  /** Deletes these jobs' rows in one transaction (one WAL commit rather than one per job). */
  deleteMany(ids: readonly string[]): void {
    for (const id of ids) assertValidJobId(id);
    this.#run(`delete ${ids.length} jobs`, () => this.#deleteManyTx(ids));
  }

  countByStatus(): Record<JobStatus, number> {
    const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
    for (const { status, n } of this.#run('count jobs', () => this.#count.all())) {
      counts[status as JobStatus] = n;
    }
    return counts;
  }

  /** Closes the database (checkpointing the WAL). Later calls do nothing; other methods then throw. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#db.close();
    } catch (error) {
      throw storeError(`close ${this.path}`, error);
    }
  }

  #insertRow(row: JobRow): Job {
    try {
      this.#insert.run(row);
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new DuplicateJobIdError(row.id, { cause: error });
      }
      throw error;
    }
    return fromRow(row);
  }

  #listStatement(sql: string): Database.Statement<[ListParams], JobRow> {
    let statement = this.#listStatements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare<[ListParams], JobRow>(sql);
      this.#listStatements.set(sql, statement);
    }
    return statement;
  }

  /** Runs one step against the database, refusing after close and naming the step in any error. */
  #run<T>(step: string, fn: () => T): T {
    if (this.#closed) throw new JobStoreError(step, undefined, 'the job store is closed');
    try {
      return fn();
    } catch (error) {
      throw storeError(step, error);
    }
  }
}
