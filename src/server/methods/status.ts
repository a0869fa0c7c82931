import { assertValidJobId } from '../../core/ids.js';
import type { Job, JobStatusRequest } from '../../gen/workernator/v1/workernator.js';
import { assertJobVisible } from '../authz.js';
import type { RpcContext } from '../rpc.js';
import { jobToWire } from '../wire/job.js';
import type { ServiceDeps } from './deps.js';

/** Status: the job as it is now. */
export function jobStatus(deps: ServiceDeps, request: JobStatusRequest, context: RpcContext): Promise<Job> {
  const id = assertValidJobId(request.id);
  context.jobId = id;
  const job = deps.manager.status(id);
  assertJobVisible(context.access, context.identity, job);
  return Promise.resolve(jobToWire(job));
}
