import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, it } from 'node:test';
import type { Sandbox } from '../../src/sandbox/index.js';
import { jobCgroups, openSandboxedManager, openTestSandbox, processesWith } from '../helpers/sandbox.js';
import { collect, tempDir } from '../helpers/temp-dir.js';

let dir: { path: string; remove: () => Promise<void> };
let sandbox: Sandbox | undefined;
const marker = `workernator-sandbox-crash-${process.pid}`;
const cgroupRootName = `workernator-test-crash-${process.pid}`;

before(async () => {
  dir = await tempDir();
});
after(async () => {
  await sandbox?.close();
  await dir.remove();
});

it('kills a crashed server’s jobs with it, and removes their cgroups at the next start (LOST)', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/crash-while-running.ts', dir.path, marker, cgroupRootName],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const [id] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  child.kill('SIGKILL');
  await exited;

  // The shim and the job's init die with their parent (parent-death signals), taking the job along.
  assert.deepEqual(await processesWith(marker), []);

  sandbox = await openTestSandbox(dir.path, { cgroupRootName });
  // Opening the sandbox does not sweep; the crashed job's (empty) cgroups are still there.
  const leftovers = await jobCgroups(sandbox);
  assert.ok(leftovers.length > 0 && leftovers.every((d) => d.endsWith(`/${id}`)), leftovers.join(' '));
  const manager = await openSandboxedManager(dir.path, sandbox);
  try {
    assert.deepEqual(await jobCgroups(sandbox), [], 'the sweep removed the crashed job’s cgroups');
    const job = manager.status(id);
    assert.equal(job.status, 'lost');
    assert.equal((await collect(manager.tail(id))).toString(), 'before the crash\n');
    const next = await manager.start({
      owner: 'tester',
      args: { type: 'command', executable: '/bin/echo', args: ['after'], env: {} },
    });
    assert.equal((await manager.wait(next.id)).status, 'complete');
  } finally {
    await manager.close();
  }
});
