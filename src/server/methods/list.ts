import type { JobListRequest, JobListResponse } from '../../gen/workernator/v1/workernator.js';
import { listOwner } from '../authz.js';
import type { RpcContext } from '../rpc.js';
import { jobToWire } from '../wire/job.js';
import { listRequestFromWire } from '../wire/requests.js';
import type { ServiceDeps } from './deps.js';

/** List: the jobs the caller may see, newest first, a page at a time. */
export function listJobs(
  deps: ServiceDeps,
  request: JobListRequest,
  context: RpcContext,
): Promise<JobListResponse> {
  const list = listRequestFromWire(request);
  const owner = listOwner(context.method, context.access, context.identity, list.owner);
  const page = deps.manager.list({
    statuses: list.statuses,
    limit: list.pageSize,
    ...(owner === undefined ? {} : { owner }),
    ...(list.cursor === undefined ? {} : { cursor: list.cursor }),
  });
  return Promise.resolve({ jobs: page.jobs.map(jobToWire), nextPageToken: page.nextCursor ?? '' });
}
