/**
 * A wait-then-send job runs on the host's network, so by default it reaches public addresses only;
 * JobManager.start's allowPrivateDestinations lets it reach the rest (the server sets it for URLs
 * under an operator's allowedUrlPrefixes). Real jobs: the bundled runner in its own process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JobManager } from '../../src/core/job-manager.js';
import { assertRunnerBuilt, openManager, outcome, withoutTimestamps } from '../helpers/manager.js';
import { tempDir } from '../helpers/temp-dir.js';
import { TestHttpServer } from './jobs/http-test-server.js';

describe('JobManager: where wait-then-send jobs may connect', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let manager: JobManager;
  let server: TestHttpServer;

  before(async () => {
    assertRunnerBuilt();
    dir = await tempDir();
    manager = await openManager(dir.path);
    server = await TestHttpServer.start((response) => response.writeHead(204).end());
  });
  after(async () => {
    await manager.close({ graceMs: 0 });
    await server.close();
    await dir.remove();
  });

  const send = (url: string, allowPrivateDestinations?: boolean) =>
    manager.start({
      owner: 'tester',
      args: { type: 'wait-then-send', url, waitSeconds: 0 },
      ...(allowPrivateDestinations === undefined ? {} : { allowPrivateDestinations }),
    });

  it('refuses a loopback URL by default: the job fails, says why, and sends nothing', async () => {
    for (const url of [`${server.origin}/hook`, `${server.origin.replace('127.0.0.1', 'localhost')}/hook`]) {
      const { job, output } = await outcome(manager, (await send(url)).id);
      assert.equal(job.status, 'failed');
      assert.equal(job.exitCode, 1);
      assert.match(
        withoutTimestamps(output),
        /\[ERROR\] refused to connect to \S+( \(\S+\))?, a loopback address: wait-then-send jobs reach only public addresses unless the server's operator allows the URL \(setting allowedUrlPrefixes, flag --allowed-url-prefix\): http:\/\/\S+\/hook\n/,
      );
    }
    assert.equal(server.received.length, 0);
  });

  it('refuses the cloud metadata endpoint without trying to connect', async () => {
    const { job, output } = await outcome(
      manager,
      (await send('http://169.254.169.254/latest/meta-data/')).id,
    );
    assert.equal(job.status, 'failed');
    assert.match(output, /\[ERROR\] refused to connect to 169\.254\.169\.254, a link-local address/);
  });

  it('sends to loopback when the job is started with allowPrivateDestinations', async () => {
    assert.equal((await outcome(manager, (await send(`${server.origin}/x`, false)).id)).job.status, 'failed');
    const { job, output } = await outcome(manager, (await send(`${server.origin}/allowed`, true)).id);
    assert.equal(job.status, 'complete', output);
    assert.match(output, /\[SEND\] POST http:\/\/127\.0\.0\.1:\d+\/allowed answered 204 No Content/);
    assert.deepEqual(
      server.received.map((request) => request.url),
      ['/allowed'],
    );
  });
});
