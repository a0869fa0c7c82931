// In a file of its own: it reads the process's peak RSS, which other tests would raise.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { tempDir } from '../helpers/temp-dir.js';
import { openManager, startCommand } from '../helpers/manager.js';

let dir: { path: string; remove: () => Promise<void> };
before(async () => {
  dir = await tempDir();
});
after(() => dir.remove());

it('records and streams 200 MB of output in less than 50 MB of memory', async () => {
  const manager = await openManager(dir.path);
  try {
    // Warm up the code paths first, so the baseline includes them.
    const warm = await startCommand(manager, '/bin/sh', ['-c', 'head -c 1000000 /dev/zero']);
    for await (const chunk of manager.tail(warm.id)) void chunk;
    const baselineKiB = process.resourceUsage().maxRSS;

    const bytes = 200 * 1000 * 1000;
    const job = await startCommand(manager, '/bin/sh', ['-c', `head -c ${bytes} /dev/zero`]);
    let followed = 0;
    for await (const chunk of manager.tail(job.id)) followed += chunk.byteLength;
    const ended = manager.status(job.id);

    assert.equal(ended.status, 'complete');
    assert.equal(ended.outputBytes, bytes);
    assert.equal(followed, bytes);
    const growthMiB = (process.resourceUsage().maxRSS - baselineKiB) / 1024;
    assert.ok(growthMiB < 50, `peak RSS grew by ${growthMiB.toFixed(1)} MiB`);
  } finally {
    await manager.close();
  }
});
