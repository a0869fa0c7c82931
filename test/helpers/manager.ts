import { existsSync } from 'node:fs';
import { JobManager, type JobManagerOptions } from '../../src/core/job-manager.js';
import { runnerBundlePath } from '../../src/core/jobs/runner-location.js';
import { ProcessGroupLauncher } from '../../src/core/process-group-launcher.js';
import type { Job } from '../../src/core/types.js';
import { collect } from './temp-dir.js';

/** The built-in job types run the bundled runner, which `npm run build` (and `npm test`) makes. */
export function assertRunnerBuilt(): void {
  if (!existsSync(runnerBundlePath())) {
    throw new Error(`${runnerBundlePath()} is missing: run \`npm run build\` first (npm test does)`);
  }
}

/** A manager over a process-group launcher in `dataDir`, with options overridden. */
export function openManager(dataDir: string, options: Partial<JobManagerOptions> = {}): Promise<JobManager> {
  return JobManager.open({ dataDir, launcher: new ProcessGroupLauncher(), ...options });
}

/** Starts a command job and returns it. */
export function startCommand(
  manager: JobManager,
  executable: string,
  args: string[] = [],
  owner = 'tester',
): Promise<Job> {
  return manager.start({
    owner,
    args: { type: 'command', executable, args, env: { PATH: '/usr/bin:/bin' } },
  });
}

/** Follows a job's output to its end and returns it with the job's final record. */
export async function outcome(manager: JobManager, id: string): Promise<{ job: Job; output: string }> {
  const output = await collect(manager.tail(id));
  return { job: manager.status(id), output: output.toString() };
}

/** Strips the seed's `YYYY-MM-DD HH:MM:SS ` timestamp from each line. */
export function withoutTimestamps(text: string): string {
  return text.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /gm, '');
}

/** Resolves once the job has printed something (it is past its setup, e.g. its trap is set). */
export async function firstOutput(manager: JobManager, id: string): Promise<void> {
  for await (const chunk of manager.tail(id)) {
    if (chunk.byteLength > 0) return;
  }
  throw new Error(`job ${id} ended without output`);
}
