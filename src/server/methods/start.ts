import type { Job, JobStartRequest } from '../../gen/workernator/v1/workernator.js';
import { applyLimitPolicy } from '../../sandbox/cgroups/limit-policy.js';
import { authorizeStart } from '../authz.js';
import type { RpcContext } from '../rpc.js';
import { jobToWire } from '../wire/job.js';
import { startRequestFromWire } from '../wire/requests.js';
import type { ServiceDeps } from './deps.js';

/** Start: validate, check the start policy, fill and cap the limits, and start; answers once the job runs. */
export async function startJob(
  deps: ServiceDeps,
  request: JobStartRequest,
  context: RpcContext,
): Promise<Job> {
  const start = startRequestFromWire(request);
  authorizeStart(context.method, context.identity, start, deps.startPolicy);
  const limits = applyLimitPolicy(start.limits, deps.limitDefaults, deps.limitMaxima);
  const job = await deps.manager.start({
    args: start.args,
    owner: context.identity.name,
    limits,
    isolation: {
      runAsRoot: start.runAsRoot,
      ...(start.network === undefined ? {} : { network: start.network }),
    },
  });
  context.jobId = job.id;
  return jobToWire(job);
}
