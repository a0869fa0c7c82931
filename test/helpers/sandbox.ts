import { JobManager, type JobManagerOptions } from '../../src/core/job-manager.js';
import { openSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';

/** A sandbox whose job cgroups live under a root unique to this test process. */
export function openTestSandbox(dataDir: string, options: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  return openSandbox({ dataDir, cgroupRootName: `workernator-test-${process.pid}`, ...options });
}

/** A manager whose jobs run in `sandbox`. */
export function openSandboxedManager(
  dataDir: string,
  sandbox: Sandbox,
  options: Partial<JobManagerOptions> = {},
): Promise<JobManager> {
  return JobManager.open({ dataDir, launcher: sandbox, ...options });
}

export { jobCgroups, processesWith } from './leftovers.js';
