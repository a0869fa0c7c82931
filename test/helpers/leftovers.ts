/**
 * What a job can leave behind on the host: processes and job cgroups. Shared by the host suite
 * (test/) and the cgroup v2 suite (test-v2/, which scripts/test-v2.mjs bundles with esbuild): keep
 * its imports to node: modules and types, so the bundle gains nothing else.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sandbox } from '../../src/sandbox/index.js';

/** PIDs of live processes whose command line contains `marker` (this process excluded). */
export async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) found.push(Number(entry));
  }
  return found;
}

/** Job cgroup directories under the sandbox's roots (one per v1 hierarchy, one on v2). */
export async function jobCgroups(sandbox: Pick<Sandbox, 'cgroupRootDirs'>): Promise<string[]> {
  const dirs: string[] = [];
  for (const root of sandbox.cgroupRootDirs) {
    for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) dirs.push(join(root, entry.name));
    }
  }
  return dirs;
}
