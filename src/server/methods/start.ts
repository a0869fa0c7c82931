import type { JobType } from '../../core/types.js';
import type { Job, JobStartRequest } from '../../gen/workernator/v1/workernator.js';
import { applyLimitPolicy } from '../../sandbox/cgroups/limit-policy.js';
import type { Slot } from '../admission.js';
import { allowsPrivateDestinations, authorizeStart } from '../authz.js';
import type { RpcContext } from '../rpc.js';
import { jobToWire } from '../wire/job.js';
import { startRequestFromWire } from '../wire/requests.js';
import type { ServiceDeps } from './deps.js';

/**
 * Start: validate, check the start policy, fill and cap the limits, take a running-job slot, and
 * start; answers once the job runs. The slot is taken after the checks that need no await and before
 * the first await, so concurrent Starts are counted exactly; it is held until the job has ended.
 */
export async function startJob(
  deps: ServiceDeps,
  request: JobStartRequest,
  context: RpcContext,
): Promise<Job> {
  const { start, limits, slot } = admit(deps, request, context);
  const type = start.args.type;
  const began = performance.now();
  try {
    const job = await deps.manager.start({
      args: start.args,
      owner: context.identity.name,
      limits,
      isolation: {
        runAsRoot: start.runAsRoot,
        ...(start.network === undefined ? {} : { network: start.network }),
      },
      allowPrivateDestinations: allowsPrivateDestinations(start.args, deps.startPolicy),
    });
    deps.metrics.jobStart(type, 'started', (performance.now() - began) / 1000);
    context.jobId = job.id;
    // wait() rejects only if the job's record is gone (retention) by the time it ends; either way it has ended.
    deps.manager.wait(job.id).then(slot.release, slot.release);
    return jobToWire(job);
  } catch (error) {
    slot.release();
    deps.metrics.jobStart(type, 'failed');
    throw error;
  }
}

/** Every check that needs no await, then the slot: all in one synchronous step. */
function admit(deps: ServiceDeps, request: JobStartRequest, context: RpcContext) {
  let type: JobType | 'unknown' = 'unknown';
  try {
    const start = startRequestFromWire(request);
    type = start.args.type;
    authorizeStart(context.method, context.identity, start, deps.startPolicy);
    const limits = applyLimitPolicy(start.limits, deps.limitDefaults, deps.limitMaxima);
    const slot: Slot = deps.admission.admitJob(context.identity.name);
    return { start, limits, slot };
  } catch (error) {
    deps.metrics.jobStart(type, 'refused');
    throw error;
  }
}
