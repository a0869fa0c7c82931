import type { JobManager } from '../../core/job-manager.js';
import type { ResourceLimits } from '../../core/types.js';
import type { Admission } from '../admission.js';
import type { StartPolicy } from '../authz.js';
import type { ServerMetrics } from '../metrics/metrics.js';
import type { TailRegistry } from '../tail-registry.js';

/** What the JobService handlers need from the server. */
export interface ServiceDeps {
  readonly manager: JobManager;
  readonly startPolicy: StartPolicy;
  /** Limits a job gets where it asks for none, and the caps above which Start is refused. */
  readonly limitDefaults: ResourceLimits;
  readonly limitMaxima: ResourceLimits;
  readonly tails: TailRegistry;
  /** Running-job slots; Tail slots are taken through `tails`. */
  readonly admission: Admission;
  readonly metrics: ServerMetrics;
}
