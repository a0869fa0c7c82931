/**
 * Shared by the cgroup v2 suite (test-v2/), which runs inside the guest that scripts/vm-run boots
 * (cgroup v2 only, everything as root) against the compiled code in dist/: scripts/test-v2.mjs
 * bundles each test file with esbuild and rewrites every import of src/ into an import of dist/.
 */
import { spawn } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { JobManager } from '../src/core/job-manager.js';
import type { Job, ResourceLimits } from '../src/core/types.js';
import { openSandbox, type Sandbox, type SandboxOptions } from '../src/sandbox/index.js';

export const CGROUP_MOUNT = '/sys/fs/cgroup';
const CGROUP2_SUPER_MAGIC = 0x63677270;
export const PATH = '/usr/local/bin:/usr/bin:/bin';

/** Timeouts are written for the host and multiplied by this (about 10 under qemu TCG). */
export const TIME_FACTOR = Math.max(1, Number(process.env.WORKERNATOR_TIME_FACTOR ?? '1') || 1);
export const scaled = (ms: number): number => Math.round(ms * TIME_FACTOR);

/** Why this process cannot run the suite, or undefined: it needs root and a cgroup-v2-only host. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the cgroup v2 suite needs root';
  let type = 0;
  try {
    type = statfsSync(CGROUP_MOUNT).type;
  } catch {
    // No cgroup filesystem at all.
  }
  if (type !== CGROUP2_SUPER_MAGIC) {
    return `${CGROUP_MOUNT} is not cgroup v2 only: run the suite in the guest (npm run test:v2, scripts/vm-run)`;
  }
  return undefined;
}

/** Where a process is in the v2 hierarchy, from /proc/PID/cgroup ("0::/a/b" -> "/a/b"). */
export async function cgroupOf(pid: number | 'self' = 'self'): Promise<string> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  if (line === undefined) throw new Error(`/proc/${pid}/cgroup has no v2 entry: ${text}`);
  return line.slice(3);
}

/** A cgroup directory as /proc/PID/cgroup names it: /sys/fs/cgroup/a/b -> /a/b. */
export function cgroupPath(dir: string): string {
  return dir.slice(CGROUP_MOUNT.length) || '/';
}

/**
 * Moves this test process into a fresh cgroup of its own under the root, the way systemd gives a
 * service a delegated cgroup; the returned function moves it back and removes what was made there.
 * Each test file does this, because the sandbox makes its job root inside the server's own cgroup.
 */
export async function enterOwnCgroup(name: string): Promise<{ dir: string; leave: () => Promise<void> }> {
  const origin = join(CGROUP_MOUNT, await cgroupOf());
  const dir = join(CGROUP_MOUNT, `${name}-${process.pid}`);
  await mkdir(dir);
  await writeFile(join(dir, 'cgroup.procs'), String(process.pid));
  return {
    dir,
    async leave() {
      await writeFile(join(origin, 'cgroup.procs'), String(process.pid));
      // Whatever a failed test left running in there goes too.
      await writeFile(join(dir, 'cgroup.kill'), '1');
      await removeTree(dir);
    },
  };
}

/**
 * rmdir a cgroup and every child cgroup under it, deepest first, retrying EBUSY for a while (killed
 * processes leave their cgroup shortly after the kill).
 */
export async function removeTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) await removeTree(join(dir, entry.name));
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 20) throw err;
      await delay(scaled(50));
    }
  }
}

/** A fresh directory (under `parent`, /tmp by default), and a function that removes it. */
export async function tempDir(parent = '/tmp'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(parent, 'workernator-v2-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface Harness {
  readonly sandbox: Sandbox;
  readonly manager: JobManager;
  readonly dataDir: string;
  /** Starts `/bin/sh -c script marker` as a command job. */
  run(script: string, limits?: ResourceLimits, runAsRoot?: boolean): Promise<Job>;
  /** Follows a job to its end: its final record and its whole output. */
  outcome(job: Job): Promise<{ job: Job; output: string }>;
  /** Resolves once the job's output contains `text`. */
  waitForOutput(job: Job, text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * This process in a cgroup of its own, a sandbox (moveSelfToLeaf: the process is in that cgroup
 * itself, see delegation.test.ts) and a JobManager on it, all released by close().
 */
export async function openHarness(
  name: string,
  options: { marker: string; dataParent?: string; sandbox?: Partial<SandboxOptions> },
): Promise<Harness> {
  const own = await enterOwnCgroup(name);
  const data = await tempDir(options.dataParent);
  const sandbox = await openSandbox({ dataDir: data.path, moveSelfToLeaf: true, ...options.sandbox });
  const manager = await JobManager.open({ dataDir: data.path, launcher: sandbox });
  const outcome = async (job: Job): Promise<{ job: Job; output: string }> => {
    const output = await collect(manager.tail(job.id));
    return { job: manager.status(job.id), output };
  };
  return {
    sandbox,
    manager,
    dataDir: data.path,
    run: (script, limits = {}, runAsRoot = false) =>
      manager.start({
        owner: 'tester',
        args: { type: 'command', executable: '/bin/sh', args: ['-c', script, options.marker], env: { PATH } },
        limits,
        isolation: { runAsRoot },
      }),
    outcome,
    async waitForOutput(job, text) {
      let seen = '';
      for await (const chunk of manager.tail(job.id)) {
        seen += Buffer.from(chunk).toString();
        if (seen.includes(text)) return;
      }
      throw new Error(`job ${job.id} ended without printing ${JSON.stringify(text)}: ${seen}`);
    },
    async close() {
      await manager.close({ graceMs: 0 });
      await sandbox.close();
      await data.remove();
      await own.leave();
    },
  };
}

export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString();
}

// Shared with the host suite; esbuild inlines it into each bundle like this file.
export { jobCgroups, processesWith } from '../test/helpers/leftovers.js';

/** Runs a program to its end; its exit code and its stdout and stderr, interleaved. */
export function runProgram(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stdio3?: boolean } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; fd3: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe', options.stdio3 === true ? 'pipe' : 'ignore'],
    });
    let output = '';
    let fd3 = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.stdio[3]?.on('data', (d: Buffer) => (fd3 += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output, fd3 }));
  });
}
