import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, it } from 'node:test';
import { collect, tempDir } from '../helpers/temp-dir.js';
import { openManager } from '../helpers/manager.js';

let dir: { path: string; remove: () => Promise<void> };
const marker = `workernator-crash-test-${process.pid}`;

before(async () => {
  dir = await tempDir();
});
after(async () => {
  // The process-group launcher's jobs outlive a killed manager (the sandbox's do not): clean up.
  spawnSync('pkill', ['-KILL', '-f', marker]);
  await dir.remove();
});

it('marks a job left running by a killed manager as lost, with its output intact', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/crash-while-running.ts', dir.path, marker],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = once(child, 'exit');
  const [id] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  child.kill('SIGKILL');
  await exited;

  const manager = await openManager(dir.path);
  try {
    const job = manager.status(id);
    assert.equal(job.status, 'lost');
    assert.match(job.error ?? '', /^lost: the server that ran this job stopped/);
    assert.ok(job.finishedAt !== undefined);
    assert.equal(job.outputBytes, 'before the crash\n'.length);
    assert.equal((await collect(manager.tail(id))).toString(), 'before the crash\n');
  } finally {
    await manager.close();
  }
});
