/** `JobStore.list`: the query, its validation, and the SQL for each shape of filter. */
import { InvalidArgumentError } from '../errors.js';
import { JOB_STATUSES } from '../types.js';
import type { Job, JobStatus } from '../types.js';
import { decodeCursor } from './cursor.js';

/** The most jobs one `list` call returns, so a page never costs unbounded memory. */
export const MAX_LIST_LIMIT = 1000;

export interface ListQuery {
  readonly owner?: string;
  /** Only jobs in one of these statuses; absent or empty means every status. */
  readonly statuses?: readonly JobStatus[];
  /** Page size, 1 to MAX_LIST_LIMIT. */
  readonly limit: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface ListResult {
  readonly jobs: Job[];
  /** Present when more jobs follow. */
  readonly nextCursor?: string;
}

/** The named parameters of the list statements; only those of the query's shape are set. */
export interface ListParams {
  owner?: string;
  statuses?: string;
  created_at?: number;
  id?: string;
  limit: number;
}

export interface ListPlan {
  /** One of at most 8 texts (one per filter shape), so a prepared statement per text is reused. */
  readonly sql: string;
  readonly params: ListParams;
}

/**
 * Validates `query` and plans it. Asks for one row more than `limit`: that extra row tells whether
 * another page follows, without a COUNT.
 */
export function planList(query: ListQuery): ListPlan {
  const { limit, owner } = query;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InvalidArgumentError('limit', `must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${limit}`);
  }
  const statuses = query.statuses ?? [];
  for (const status of statuses) {
    if (!JOB_STATUSES.includes(status)) {
      throw new InvalidArgumentError('statuses', `unknown status ${JSON.stringify(status)}`);
    }
  }
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);

  const where: string[] = [];
  const params: ListParams = { limit: limit + 1 };
  if (owner !== undefined) {
    where.push('owner = @owner');
    params.owner = owner;
  }
  if (statuses.length > 0) {
    where.push('status IN (SELECT value FROM json_each(@statuses))');
    params.statuses = JSON.stringify(statuses);
  }
  if (after !== undefined) {
    // A row value comparison walks the (created_at DESC, id DESC) indexes from the cursor on.
    where.push('(created_at, id) < (@created_at, @id)');
    params.created_at = after.createdAt;
    params.id = after.id;
  }
  const sql =
    'SELECT * FROM jobs' +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY created_at DESC, id DESC LIMIT @limit';
  return { sql, params };
}
