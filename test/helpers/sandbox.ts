import { readdir, readFile } from 'node:fs/promises';
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

/** PIDs of live processes whose command line contains `marker`. */
export async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) found.push(Number(entry));
  }
  return found;
}

/** Job cgroup directories under the sandbox's roots. */
export async function jobCgroups(sandbox: Sandbox): Promise<string[]> {
  const dirs: string[] = [];
  for (const root of sandbox.cgroupRootDirs) {
    for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) dirs.push(`${root}/${entry.name}`);
    }
  }
  return dirs;
}
