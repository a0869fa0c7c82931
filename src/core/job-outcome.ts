import type { ExitStatus } from './launcher.js';
import type { JobStatus } from './types.js';

/** The status a job ends in: stopped if someone asked, complete on exit 0, failed otherwise. */
export function finalStatus(exit: ExitStatus, stopRequested: boolean): JobStatus {
  if (stopRequested) return 'stopped';
  return exit.exitCode === 0 ? 'complete' : 'failed';
}

/** "exited with code 3", "killed by SIGKILL". */
export function describeExit(exit: ExitStatus): string {
  if (exit.exitCode !== undefined) return `exited with code ${exit.exitCode}`;
  return `killed by ${exit.signal ?? 'an unknown signal'}`;
}
