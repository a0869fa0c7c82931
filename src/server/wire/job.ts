/** A core Job as the wire's Job message. Pure: no I/O, no clock. */
import type { Job } from '../../core/types.js';
import type { Job as WireJob, ResourceUsage as WireUsage } from '../../gen/workernator/v1/workernator.js';
import type { ResourceUsage } from '../../core/types.js';
import { argumentsToWire } from './arguments.js';
import { JOB_STATUS_TO_WIRE, JOB_TYPE_TO_WIRE, NETWORK_TO_WIRE } from './enums.js';
import { limitsToWire } from './limits.js';
import { microsToDuration } from './numbers.js';

const toDate = (ms: number | undefined): Date | undefined => (ms === undefined ? undefined : new Date(ms));

function usageToWire(usage: ResourceUsage | undefined): WireUsage | undefined {
  if (usage === undefined) return undefined;
  return {
    cpuTime: usage.cpuTimeMicros === undefined ? undefined : microsToDuration(usage.cpuTimeMicros),
    peakMemoryBytes: BigInt(usage.peakMemoryBytes ?? 0),
    oomKilled: usage.oomKilled ?? false,
  };
}

export function jobToWire(job: Job): WireJob {
  return {
    id: job.id,
    type: JOB_TYPE_TO_WIRE[job.type],
    args: argumentsToWire(job.args),
    owner: job.owner,
    status: JOB_STATUS_TO_WIRE[job.status],
    createdAt: toDate(job.createdAt),
    startedAt: toDate(job.startedAt),
    finishedAt: toDate(job.finishedAt),
    exitCode: job.exitCode,
    signal: job.signal ?? '',
    error: job.error ?? '',
    limits: limitsToWire(job.limits),
    usage: usageToWire(job.usage),
    network: NETWORK_TO_WIRE[job.isolation.network],
    runAsRoot: job.isolation.runAsRoot,
    outputBytes: BigInt(job.outputBytes),
  };
}
