import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { JobNotFoundError } from '../../src/core/errors.js';
import { firstOutput, openManager, startCommand } from '../helpers/manager.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir();
});
after(() => dir.remove());

const logOf = (dataDir: string, id: string) => join(dataDir, 'output', `${id}.log`);

/** Collects the IDs the retention policy removes; `until(n)` resolves once n have been removed. */
function removals(): {
  onJobsRemoved: (ids: readonly string[]) => void;
  until: (n: number) => Promise<string[]>;
} {
  const removed: string[] = [];
  let waiter: { n: number; resolve: (ids: string[]) => void } | undefined;
  return {
    onJobsRemoved: (ids) => {
      removed.push(...ids);
      if (waiter !== undefined && removed.length >= waiter.n) waiter.resolve(removed);
    },
    until: (n) =>
      removed.length >= n ? Promise.resolve(removed) : new Promise((resolve) => (waiter = { n, resolve })),
  };
}

it('removes the oldest ended jobs while output on disk is over the budget, never a running one', async () => {
  const dataDir = join(dir.path, 'bytes');
  const removed = removals();
  const manager = await openManager(dataDir, {
    retention: { maxTotalBytes: 2500 },
    onJobsRemoved: removed.onJobsRemoved,
  });
  try {
    // A running job whose output counts towards the budget but is never removed.
    const running = await startCommand(manager, '/bin/sh', ['-c', 'head -c 1000 /dev/zero; exec sleep 1000']);
    await firstOutput(manager, running.id);
    const ended = [];
    for (let i = 0; i < 3; i++) {
      const job = await startCommand(manager, '/bin/sh', ['-c', 'head -c 1000 /dev/zero']);
      ended.push(await manager.wait(job.id));
    }
    // 1000 running + 3 x 1000 ended = 4000 > 2500: the two oldest ended jobs go, record and file.
    const [first, second, third] = ended.map((job) => job.id) as [string, string, string];
    assert.deepEqual(await removed.until(2), [first, second]);
    for (const id of [first, second]) {
      assert.throws(() => manager.status(id), JobNotFoundError);
      assert.equal(existsSync(logOf(dataDir, id)), false);
    }
    assert.equal(manager.status(third).status, 'complete');
    assert.equal(manager.status(running.id).status, 'running');
    assert.equal(existsSync(logOf(dataDir, running.id)), true);
    await manager.stop(running.id, { graceMs: 0 });
  } finally {
    await manager.close({ graceMs: 0 });
  }
});

it('removes ended jobs once they are older than the age limit, at the moment they expire', async () => {
  const dataDir = join(dir.path, 'age');
  let now = 1_000_000;
  const removed = removals();
  const manager = await openManager(dataDir, {
    retention: { maxAgeMs: 50 },
    clock: () => now,
    onJobsRemoved: removed.onJobsRemoved,
  });
  // The retention timer does not hold the process open (unref); this test has nothing else that does.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    const job = await startCommand(manager, '/bin/echo', ['old']);
    await manager.wait(job.id);
    // The job expires 50 ms after its end; the one timer armed for that moment removes it.
    now += 60_000;
    assert.deepEqual(await removed.until(1), [job.id]);
    assert.throws(() => manager.status(job.id), JobNotFoundError);
    assert.equal(existsSync(logOf(dataDir, job.id)), false);
  } finally {
    clearInterval(keepAlive);
    await manager.close();
  }
});

it('applies the policy when a manager opens the directory', async () => {
  const dataDir = join(dir.path, 'reopen');
  const first = await openManager(dataDir);
  const job = await startCommand(first, '/bin/echo', ['kept until reopened']);
  await first.wait(job.id);
  await first.close();
  const second = await openManager(dataDir, { retention: { maxTotalBytes: 0 } });
  try {
    assert.throws(() => second.status(job.id), JobNotFoundError);
  } finally {
    await second.close();
  }
});
