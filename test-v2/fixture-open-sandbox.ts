/**
 * Run by delegation.test.ts as a child process, already inside the cgroup under test: opens the
 * sandbox and a manager as a server would, runs `cat /proc/self/cgroup` as a job, and prints one
 * JSON line: { ok, own (its cgroup after opening), job (the job's cgroup) } or { ok: false, error }.
 * Arguments: <data dir> <move-self-to-leaf: yes|no>
 */
import { mkdir } from 'node:fs/promises';
import { JobManager } from '../src/core/job-manager.js';
import { openSandbox } from '../src/sandbox/index.js';
import { cgroupOf, collect } from './helpers.js';

const [dataDir, move] = process.argv.slice(2);
if (dataDir === undefined || (move !== 'yes' && move !== 'no')) {
  throw new Error('usage: fixture-open-sandbox <data dir> <yes|no>');
}

try {
  // openSandbox stats the data directory (to find the disk IO limits apply to) and fails with a bare
  // ENOENT if it does not exist yet: make it first, as JobManager.open would (0700).
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const sandbox = await openSandbox({ dataDir, moveSelfToLeaf: move === 'yes' });
  const manager = await JobManager.open({ dataDir, launcher: sandbox });
  const job = await manager.start({
    owner: 'tester',
    args: { type: 'command', executable: '/bin/cat', args: ['/proc/self/cgroup'], env: {} },
  });
  const output = await collect(manager.tail(job.id));
  const ended = await manager.wait(job.id);
  const own = await cgroupOf();
  await manager.close();
  await sandbox.close();
  console.log(JSON.stringify({ ok: ended.status === 'complete', own, job: output.trim(), jobId: job.id }));
} catch (error) {
  const { name, message, missing } = error as { name: string; message: string; missing?: string };
  console.log(JSON.stringify({ ok: false, error: { name, message, missing } }));
}
