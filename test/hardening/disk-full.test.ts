/**
 * Issue 8, point 3: disk full. The server's data directory is on a small ext4 file system the test
 * makes (an image file on a loop device, no blocks reserved for root, since the server runs as
 * root). A ballast file takes almost all of its space; a job that writes more than is left is stopped
 * with the reason recorded, the API and another job keep working, the store stays consistent, and
 * once the ballast is removed everything works again.
 *
 * Once with only the output directory on the small file system, once with the whole data directory
 * (the store too): output stops being recorded while the disk still has its reserve for the store,
 * so the store can always record how the job ended.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, rm, statfs, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, it } from 'node:test';
import Database from 'better-sqlite3';
import { JobStatus, JobType } from '../../src/gen/workernator/v1/workernator.js';
import { tempDir } from '../helpers/temp-dir.js';
import { outputContains } from '../server/helpers/assertions.js';
import { jobCgroups, startSandboxedTestServer, type SandboxedTestServer } from './helpers/server.js';

const IMAGE_BYTES = 32 << 20;
/** Free space left next to the ballast: room for the store's writes, not for a big output. */
const LEFT_BYTES = 1 << 20;

let scratch: { path: string; remove: () => Promise<void> } | undefined;
let loopDevice: string | undefined;
let mounted: string | undefined;
let server: SandboxedTestServer | undefined;

function command(executable: string, args: string[]) {
  return { kind: { $case: 'command' as const, value: { executable, args, env: { PATH: '/usr/bin:/bin' } } } };
}

beforeEach(async () => {
  scratch = await tempDir('workernator-hardening-disk-');
});

/** Makes the small ext4 file system and mounts it on `mountPoint` (created 0700). */
async function mountSmallFs(mountPoint: string): Promise<void> {
  const image = join(scratch!.path, 'disk.img');
  await mkdir(mountPoint, { recursive: true, mode: 0o700 });
  await writeFile(image, '');
  await truncate(image, IMAGE_BYTES);
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
  loopDevice = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
  execFileSync('mount', [loopDevice, mountPoint]);
  mounted = mountPoint;
  await chmod(mountPoint, 0o700);
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (mounted !== undefined) {
    try {
      execFileSync('umount', [mounted]);
    } catch {
      execFileSync('umount', ['--lazy', mounted]);
    }
    mounted = undefined;
  }
  if (loopDevice !== undefined) execFileSync('losetup', ['--detach', loopDevice]);
  loopDevice = undefined;
  await scratch?.remove();
  scratch = undefined;
});

async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

/**
 * `small` is where the small file system is mounted: the whole data directory (store and output), or
 * only its output directory (the store then lives on the roomy file system around it).
 */
async function diskFull(small: 'data directory' | 'output directory'): Promise<void> {
  const dataDir = join(scratch!.path, 'data');
  await mountSmallFs(small === 'data directory' ? dataDir : join(dataDir, 'output'));
  assert.ok(mounted !== undefined);
  server = await startSandboxedTestServer({ dataDir });
  const { as } = server;

  // Another job, running before the disk fills and still there after.
  const other = await as.bob.start({
    type: JobType.JOB_TYPE_COMMAND,
    args: command('/bin/sh', ['-c', 'echo other started; exec sleep 1000']),
  });
  await outputContains(as.bob, other.id, 'other started');

  const ballast = join(mounted, 'ballast');
  await writeFile(ballast, Buffer.alloc(Math.max(0, (await freeBytes(mounted)) - LEFT_BYTES)));
  assert.ok((await freeBytes(mounted)) <= LEFT_BYTES + 65536);

  // 64 MiB of output into less than 1 MiB of room.
  const filler = await as.alice.start({
    type: JobType.JOB_TYPE_COMMAND,
    args: command('/usr/bin/head', ['-c', String(64 << 20), '/dev/zero']),
  });
  const followed = await as.alice.tail({ id: filler.id });
  const stopped = await as.alice.status(filler.id);
  assert.equal(stopped.status, JobStatus.JOB_STATUS_STOPPED, JobStatus[stopped.status]);
  assert.equal(stopped.error, 'output could not be written: no space left on device');
  assert.ok(Number(stopped.outputBytes) < 64 << 20);
  assert.equal(followed.data.length, Number(stopped.outputBytes), 'the log holds what the record says');
  assert.ok(followed.data.every((byte) => byte === 0));

  // The API keeps answering; the other job still runs and can be followed and stopped.
  assert.equal((await as.bob.status(other.id)).status, JobStatus.JOB_STATUS_RUNNING);
  const listed = (await as.admin.list()).jobs.map((job) => job.id);
  assert.ok(listed.includes(other.id) && listed.includes(filler.id));
  assert.equal((await as.bob.tail({ id: other.id, noFollow: true })).data.toString(), 'other started\n');
  const otherStopped = await as.bob.stop({ id: other.id, gracePeriod: { seconds: 0 } });
  assert.equal(otherStopped.status, JobStatus.JOB_STATUS_STOPPED);
  assert.deepEqual(await jobCgroups(server.cgroupRootName), [], 'no job cgroups left');

  // Free the space: everything works again.
  await rm(ballast);
  const after = await as.alice.start({
    type: JobType.JOB_TYPE_COMMAND,
    args: command('/usr/bin/head', ['-c', String(2 << 20), '/dev/zero']),
  });
  const afterOutput = await as.alice.tail({ id: after.id });
  assert.equal(afterOutput.data.length, 2 << 20);
  const afterJob = await as.alice.status(after.id);
  assert.equal(afterJob.status, JobStatus.JOB_STATUS_COMPLETE);
  assert.equal(Number(afterJob.outputBytes), 2 << 20);

  // The store is consistent: every record is as the API said, and SQLite finds no damage.
  await server.close();
  server = undefined;
  const db = new Database(join(dataDir, 'jobs.db'), { readonly: true, fileMustExist: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const rows = db.prepare('SELECT id, status FROM jobs ORDER BY id').all() as {
      id: string;
      status: string;
    }[];
    assert.deepEqual(
      rows,
      [
        { id: other.id, status: 'stopped' },
        { id: filler.id, status: 'stopped' },
        { id: after.id, status: 'complete' },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
  } finally {
    db.close();
  }
}

it('stops a job whose output cannot be written, keeps serving, and recovers once space is freed', () =>
  diskFull('output directory'));

it('the same with the store on the full file system too', () => diskFull('data directory'));
