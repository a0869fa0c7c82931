/**
 * Killing every process of a cgroup, the three ways the kernel allows (runc's signalAllProcesses):
 * cgroup.kill (v2, Linux 5.14+), else freeze + SIGKILL each PID + thaw, so that nothing forks a
 * new process between the listing and the kill.
 */
import { join } from 'node:path';
import { CgroupSetupError } from '../errors.js';
import { type CgroupFs, killPid, readPids, writeCgroupFile } from './cgroupfs.js';
import { waitForCgroupEvent } from './events.js';

/**
 * Upper bound on listing rounds while frozen. A frozen process cannot fork, so a second round finds
 * nothing new in practice; the bound only guards against a misbehaving fake or kernel.
 */
const MAX_KILL_ROUNDS = 100;

/** SIGKILLs every PID listed in `dir`/cgroup.procs, again while new ones appear. */
async function killListed(fs: CgroupFs, dir: string): Promise<void> {
  const killed = new Set<number>();
  for (let round = 0; round < MAX_KILL_ROUNDS; round++) {
    const fresh = (await readPids(fs, dir)).filter((pid) => !killed.has(pid));
    if (fresh.length === 0) return;
    for (const pid of fresh) {
      killPid(pid);
      killed.add(pid);
    }
  }
}

/** v2 and hybrid trees: one write kills the whole cgroup, however deep, at once. */
export async function killByCgroupKill(fs: CgroupFs, dir: string): Promise<void> {
  await writeCgroupFile(fs, dir, 'cgroup.kill', '1');
}

/** v2 before cgroup.kill: freeze, wait for "frozen 1" (an event, not a poll), kill each, thaw. */
export async function killByV2Freezer(fs: CgroupFs, dir: string): Promise<void> {
  await writeCgroupFile(fs, dir, 'cgroup.freeze', '1');
  try {
    await waitForCgroupEvent(join(dir, 'cgroup.events'), 'frozen', '1');
    await killListed(fs, dir);
  } finally {
    // Frozen processes die once thawed.
    await writeCgroupFile(fs, dir, 'cgroup.freeze', '0');
  }
}

/**
 * v1: freezer.state FROZEN, kill each, THAWED. The v1 freezer has no event to say that freezing has
 * finished (freezer.state reads FREEZING until then), and waiting for it would mean polling; instead
 * the listing is repeated until it shows no new PID. A process forked in the FREEZING window is
 * frozen on creation (the freezer marks new children of a freezing cgroup) and shows up in the next
 * listing. `dir` is the job's freezer cgroup; without one (a half-made job), kill without freezing.
 */
export async function killByV1Freezer(
  fs: CgroupFs,
  freezerDir: string | undefined,
  dir: string,
): Promise<void> {
  if (freezerDir === undefined) {
    await killListed(fs, dir);
    return;
  }
  await writeCgroupFile(fs, freezerDir, 'freezer.state', 'FROZEN');
  try {
    await killListed(fs, freezerDir);
  } finally {
    await writeCgroupFile(fs, freezerDir, 'freezer.state', 'THAWED');
  }
}

/** Runs a kill, treating a cgroup that vanished meanwhile (ENOENT) as already dead. */
export async function unlessGone(kill: Promise<void>): Promise<void> {
  try {
    await kill;
  } catch (err) {
    if (err instanceof CgroupSetupError && err.errno === 'ENOENT') return;
    throw err;
  }
}
