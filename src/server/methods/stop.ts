import type { Job, JobStopRequest } from '../../gen/workernator/v1/workernator.js';
import { assertJobVisible } from '../authz.js';
import type { RpcContext } from '../rpc.js';
import { jobToWire } from '../wire/job.js';
import { stopRequestFromWire } from '../wire/requests.js';
import type { ServiceDeps } from './deps.js';

/**
 * Stop: answers once the job has ended. If the caller's deadline passes first, grpc-js answers
 * DEADLINE_EXCEEDED and this promise still settles when the job has ended (at most its grace period
 * later): the stop that was asked for is carried out, and nothing is left waiting.
 */
export async function stopJob(deps: ServiceDeps, request: JobStopRequest, context: RpcContext): Promise<Job> {
  const stop = stopRequestFromWire(request);
  context.jobId = stop.id;
  assertJobVisible(context.access, context.identity, deps.manager.status(stop.id));
  const job = await deps.manager.stop(stop.id, stop.graceMs === undefined ? {} : { graceMs: stop.graceMs });
  return jobToWire(job);
}
