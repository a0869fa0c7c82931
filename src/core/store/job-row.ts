/** Maps a `Job` to the columns of the `jobs` table and back. */
import { InvalidArgumentError } from '../errors.js';
import type {
  Isolation,
  Job,
  JobArguments,
  JobStatus,
  JobType,
  ResourceLimits,
  ResourceUsage,
} from '../types.js';

/** One row of `jobs`, as better-sqlite3 binds and returns it. NULL is `null`, never `undefined`. */
export interface JobRow {
  id: string;
  type: string;
  args: string;
  owner: string;
  status: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
  limits: string;
  usage: string | null;
  isolation: string;
  output_bytes: number;
}

/**
 * Integer columns must hold safe integers: a fraction would be refused by the STRICT table with an
 * obscure message, NaN would silently become NULL, and anything past 2^53 would not read back equal.
 */
function integer(field: string, value: number): number {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(field, `must be a safe integer, got ${String(value)}`);
  }
  return value;
}

function optionalInteger(field: string, value: number | undefined): number | null {
  return value === undefined ? null : integer(field, value);
}

export function toRow(job: Job): JobRow {
  if (job.args.type !== job.type) {
    throw new InvalidArgumentError('args.type', `is ${job.args.type}, but the job's type is ${job.type}`);
  }
  return {
    id: job.id,
    type: job.type,
    args: JSON.stringify(job.args),
    owner: job.owner,
    status: job.status,
    created_at: integer('createdAt', job.createdAt),
    started_at: optionalInteger('startedAt', job.startedAt),
    finished_at: optionalInteger('finishedAt', job.finishedAt),
    exit_code: optionalInteger('exitCode', job.exitCode),
    signal: job.signal ?? null,
    error: job.error ?? null,
    limits: JSON.stringify(job.limits),
    usage: job.usage === undefined ? null : JSON.stringify(job.usage),
    isolation: JSON.stringify(job.isolation),
    output_bytes: integer('outputBytes', job.outputBytes),
  };
}

/**
 * The row's columns are trusted: only `toRow` writes them and the table's CHECK constraints guard
 * the enumerations and the JSON. Absent optional fields stay absent (no `key: undefined`), so a job
 * reads back deep-equal to what was written.
 */
export function fromRow(row: JobRow): Job {
  return {
    id: row.id,
    type: row.type as JobType,
    args: JSON.parse(row.args) as JobArguments,
    owner: row.owner,
    status: row.status as JobStatus,
    createdAt: row.created_at,
    ...(row.started_at !== null && { startedAt: row.started_at }),
    ...(row.finished_at !== null && { finishedAt: row.finished_at }),
    ...(row.exit_code !== null && { exitCode: row.exit_code }),
    ...(row.signal !== null && { signal: row.signal }),
    ...(row.error !== null && { error: row.error }),
    limits: JSON.parse(row.limits) as ResourceLimits,
    ...(row.usage !== null && { usage: JSON.parse(row.usage) as ResourceUsage }),
    isolation: JSON.parse(row.isolation) as Isolation,
    outputBytes: row.output_bytes,
  };
}
