/**
 * Workernator's core library: start, stop, inspect and tail jobs from your own TypeScript code,
 * without the server. See the README for an example.
 */
export { JobManager, DEFAULT_GRACE_MS, DEFAULT_OUTPUT_CAP_BYTES } from './job-manager.js';
export type {
  BuiltinRunner,
  JobManagerOptions,
  ListOptions,
  ManagerLogger,
  StartJobOptions,
  StopJobOptions,
  TailOptions,
} from './job-manager.js';
export type { RetentionPolicy } from './retention.js';
export type { ExitStatus, LaunchRequest, LaunchedJob, Launcher } from './launcher.js';
export { ProcessGroupLauncher } from './process-group-launcher.js';
export * from './errors.js';
export * from './types.js';
export { jobDefinitions, getJobDefinition, validateJobArguments } from './jobs/index.js';
export { isValidJobId } from './ids.js';
export { formatBytes } from './units.js';
