/**
 * A cgroup of the bench's own for each server it starts, so that the server's job root
 * (`<own>/workernator`) can never be another engineer's: a server started elsewhere on this host in
 * the same cgroup would share (and sweep) the default root. On v1 and hybrid hosts the server is put
 * into `<own>/workernator-bench-<pid>-<n>` in every hierarchy before it starts; on a pure v2 host
 * (where a cgroup with processes cannot enable controllers for its children) it stays where it is.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The v1 hierarchies the sandbox uses, and the controller-less unified tree of a hybrid host. */
const WANTED = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio', 'freezer'];

interface Mount {
  readonly dir: string;
  readonly controllers: readonly string[];
  readonly v2: boolean;
}

function cgroupMounts(): Mount[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[2] === 'cgroup' || f[2] === 'cgroup2')
    .map((f) => ({
      dir: f[1] ?? '',
      controllers: (f[3] ?? '').split(','),
      v2: f[2] === 'cgroup2',
    }));
}

/** Where this process is in each hierarchy: controller list (or '' for v2) -> path. */
function ownPaths(): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match !== null) paths.set(match[1] ?? '', match[2] ?? '/');
  }
  return paths;
}

export interface CgroupHome {
  /** One directory per hierarchy (empty on a pure v2 host). */
  readonly dirs: readonly string[];
  /** `cgroup.procs` files the server's pid is written to before it starts. */
  readonly procsFiles: readonly string[];
  /** The job roots the server makes under its home (`<dir>/workernator`). */
  readonly jobRoots: readonly string[];
  /** Job cgroups still present under the job roots. */
  leftovers(): Promise<string[]>;
  /** Removes the home (after the server has exited); retries while the kernel still releases it. */
  remove(): Promise<void>;
}

let made = 0;

export async function makeCgroupHome(): Promise<CgroupHome> {
  const mounts = cgroupMounts();
  const own = ownPaths();
  const pureV2 = mounts.length > 0 && mounts.every((m) => m.v2);
  const name = `workernator-bench-${process.pid}-${made++}`;
  const dirs: string[] = [];
  if (!pureV2) {
    for (const [controllers, path] of own) {
      const list = controllers === '' ? [] : controllers.split(',');
      const mount =
        controllers === ''
          ? mounts.find((m) => m.v2)
          : mounts.find((m) => !m.v2 && list.every((c) => m.controllers.includes(c)));
      if (mount === undefined) continue;
      if (controllers !== '' && !list.some((c) => WANTED.includes(c))) continue;
      const dir = join(mount.dir, path, name);
      if (!dirs.includes(dir)) dirs.push(dir);
    }
    for (const dir of dirs) await mkdir(dir);
  }
  const jobRoots = pureV2
    ? mounts.filter((m) => m.v2).map((m) => join(m.dir, own.get('') ?? '/', 'workernator'))
    : dirs.map((dir) => join(dir, 'workernator'));
  return {
    dirs,
    procsFiles: dirs.map((dir) => join(dir, 'cgroup.procs')),
    jobRoots,
    async leftovers() {
      const found: string[] = [];
      for (const root of jobRoots) {
        const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
        for (const entry of entries) if (entry.isDirectory()) found.push(join(root, entry.name));
      }
      return found;
    },
    async remove() {
      for (const dir of pureV2 ? [] : [...jobRoots, ...dirs]) {
        for (let attempt = 0; ; attempt++) {
          try {
            await rmdir(dir);
            break;
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === 'ENOENT' || (code === 'EBUSY' && attempt >= 50)) break;
            if (code !== 'EBUSY' && code !== 'ENOTEMPTY') throw error;
            await sleep(20);
          }
        }
      }
    },
  };
}

/** True if a path exists. */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
