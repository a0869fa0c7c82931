/**
 * The few filesystem operations the cgroup backends make, behind an interface so that unit tests can
 * run the backends against a fake tree of plain files (where mkdir does not create interface files,
 * rmdir does not remove them, and no write ever fails with EBUSY unless the fake says so).
 */
import { closeSync, constants, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CgroupSetupError } from '../errors.js';

export interface CgroupFs {
  readFile(path: string): Promise<string>;
  /** Writes `data` in one write(2) to an existing file; never creates one. */
  writeFile(path: string, data: string): Promise<void>;
  /** Creates one directory; fails with EEXIST if it exists. */
  mkdir(path: string): Promise<void>;
  /** Removes one cgroup directory (the kernel removes its interface files with it). */
  rmdir(path: string): Promise<void>;
  /** Names of the subdirectories (child cgroups) of a directory. */
  subdirs(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
}

/**
 * The real thing: node:fs on cgroupfs. mkdir, writes and exists are synchronous on purpose: cgroupfs is an
 * in-kernel filesystem that never waits for a disk, and one mkdir, stat or limit write takes 10-30 µs,
 * while the same call through the thread pool took 0.2 ms and more under load (a job's cgroups,
 * created and limited, cost 1.5 ms of its start that way, 0.25 ms synchronously).
 */
export const nodeCgroupFs: CgroupFs = {
  readFile: (path) => fsp.readFile(path, 'utf8'),
  writeFile: (path, data) =>
    settleNow(() => {
      // O_TRUNC without O_CREAT: a missing interface file is an error (ENOENT), not a new file.
      const fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC);
      try {
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
    }),
  mkdir: (path) => settleNow(() => mkdirSync(path)),
  rmdir: (path) => fsp.rmdir(path),
  async subdirs(path) {
    const entries = await fsp.readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  },
  exists: (path) => Promise.resolve(existsSync(path)),
};

/** Runs a synchronous call; async, so a throw becomes a rejection, as the CgroupFs interface has it. */
// eslint-disable-next-line @typescript-eslint/require-await
async function settleNow(call: () => void): Promise<void> {
  call();
}

export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Writes one cgroup file; a failure names the file and the value: "write memory.max = 1: EBUSY". */
export async function writeCgroupFile(fs: CgroupFs, dir: string, file: string, value: string): Promise<void> {
  const path = join(dir, file);
  try {
    await fs.writeFile(path, value);
  } catch (err) {
    const errno = errnoOf(err);
    const step = `write ${file} = ${value}`;
    throw new CgroupSetupError(`${step}: ${errno ?? String(err)} (${path})`, step, path, errno, {
      cause: err,
    });
  }
}

/** Reads one cgroup file; undefined if it does not exist. */
export async function readOptionalCgroupFile(fs: CgroupFs, path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    const errno = errnoOf(err);
    throw new CgroupSetupError(`read ${path}: ${errno ?? String(err)}`, 'read', path, errno, { cause: err });
  }
}

/** Parses a flat-keyed file ("populated 0\nfrozen 0\n", cpu.stat, memory.events) into a map. */
export function parseFlatKeyed(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/, 2);
    if (key && value !== undefined) map.set(key, value);
  }
  return map;
}

/** Parses cgroup.procs (one PID a line). */
export function parsePids(text: string): number[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map(Number)
    .filter((n) => Number.isSafeInteger(n) && n > 0);
}

export async function readPids(fs: CgroupFs, dir: string): Promise<number[]> {
  const text = await readOptionalCgroupFile(fs, join(dir, 'cgroup.procs'));
  return text === undefined ? [] : parsePids(text);
}

/** SIGKILL, ignoring processes that are already gone. */
export function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if (errnoOf(err) !== 'ESRCH') throw err;
  }
}

/** runc's RemovePath backoff: 10 tries, 1 ms doubling (about 1 s in all). */
export const RMDIR_RETRIES = 10;

/**
 * Removes a cgroup directory and any child cgroups below it. The kernel may lag releasing a task
 * that has just exited, so EBUSY is retried with a short bounded backoff; a missing directory is
 * fine (idempotent).
 */
export async function removeCgroupDir(fs: CgroupFs, dir: string): Promise<void> {
  let wait = 1;
  for (let attempt = 1; ; attempt++) {
    try {
      await fs.rmdir(dir);
      return;
    } catch (err) {
      const errno = errnoOf(err);
      if (errno === 'ENOENT') return;
      if (errno !== 'EBUSY' && errno !== 'ENOTEMPTY') {
        throw new CgroupSetupError(`rmdir ${dir}: ${errno ?? String(err)}`, 'rmdir', dir, errno, {
          cause: err,
        });
      }
      // A job running as root may have made child cgroups: remove them first.
      const children = await fs.subdirs(dir).catch(() => []);
      for (const child of children) await removeCgroupDir(fs, join(dir, child));
      if (attempt >= RMDIR_RETRIES) {
        const pids = await readPids(fs, dir).catch(() => []);
        const detail = pids.length > 0 ? ` (processes still inside: ${pids.join(' ')})` : '';
        throw new CgroupSetupError(
          `rmdir ${dir}: ${errno} after ${attempt} tries${detail}`,
          'rmdir',
          dir,
          errno,
          { cause: err },
        );
      }
      if (children.length === 0) {
        await delay(wait);
        wait *= 2;
      }
    }
  }
}

/** mkdir that tolerates an existing directory. */
export async function ensureCgroupDir(fs: CgroupFs, dir: string): Promise<void> {
  try {
    await fs.mkdir(dir);
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'EEXIST') return;
    throw new CgroupSetupError(`mkdir ${dir}: ${errno ?? String(err)}`, 'mkdir', dir, errno, { cause: err });
  }
}

/** mkdir that refuses an existing directory (a job's cgroup must be new). */
export async function createCgroupDir(fs: CgroupFs, dir: string): Promise<void> {
  try {
    await fs.mkdir(dir);
  } catch (err) {
    const errno = errnoOf(err);
    const what =
      errno === 'EEXIST' ? 'EEXIST (a cgroup of that name exists already)' : (errno ?? String(err));
    throw new CgroupSetupError(`mkdir ${dir}: ${what}`, 'mkdir', dir, errno, { cause: err });
  }
}

/** Job IDs become directory names: refuse anything that could escape or collide. */
export function checkCgroupName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw new CgroupSetupError(
      `invalid cgroup name ${JSON.stringify(name)}: expected 1-64 letters, digits, '_', '.', '-'`,
      'name',
    );
  }
}

/** rmdir of a job root that may still hold jobs: only an empty root goes. */
export async function closeRoot(fs: CgroupFs, dir: string): Promise<void> {
  try {
    await fs.rmdir(dir);
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === 'ENOENT' || errno === 'EBUSY' || errno === 'ENOTEMPTY') return;
    throw new CgroupSetupError(`rmdir ${dir}: ${errno ?? String(err)}`, 'rmdir', dir, errno, { cause: err });
  }
}
