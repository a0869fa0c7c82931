/**
 * Flow control, measured: a client that stops reading while its job writes 50 MB must not make the
 * server buffer that output. The server runs as a subprocess, so its RSS is its own.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { JobStatus, JobType, type TailJobResponse } from '../../src/gen/workernator/v1/workernator.js';
import { eventually } from './helpers/assertions.js';
import { RpcClient } from './helpers/rpc-client.js';
import { startServerProcess } from './helpers/server-process.js';
import { clientFor } from './helpers/test-server.js';

const SIZE = 50 * 1024 * 1024;
const LINE = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function expectedDigest(): string {
  const line = Buffer.from(`${LINE}\n`);
  const block = Buffer.alloc(line.length * 1024);
  for (let i = 0; i < 1024; i++) line.copy(block, i * line.length);
  const hash = createHash('sha256');
  let left = SIZE;
  while (left > 0) {
    const part = block.subarray(0, Math.min(block.length, left));
    hash.update(part);
    left -= part.length;
  }
  return hash.digest('hex');
}

describe('Tail flow control', () => {
  it('holds a paused reader to a bounded amount of server memory, then delivers all 50 MB intact', async () => {
    const server = await startServerProcess();
    const alice = new RpcClient(await clientFor(server.tlsDir, 'alice', server.port));
    try {
      const job = await alice.start({
        type: JobType.JOB_TYPE_COMMAND,
        args: {
          kind: {
            $case: 'command',
            value: {
              executable: '/bin/sh',
              args: ['-c', `yes ${LINE} | head -c ${SIZE}`],
              env: { PATH: '/usr/bin:/bin' },
            },
          },
        },
      });
      const stream = alice.tailStream({ id: job.id });
      const hash = createHash('sha256');
      let received = 0;
      const ended = new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      stream.on('data', (message: TailJobResponse) => {
        hash.update(message.data);
        received += message.data.length;
        if (received === message.data.length) stream.pause(); // after the first message: a stalled client
      });

      // The job writes everything while the client reads nothing.
      let done = false;
      while (!done) {
        done = (await alice.status(job.id)).status === JobStatus.JOB_STATUS_COMPLETE;
        if (!done) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(received < 4 * 1024 * 1024, `the paused client got ${received} bytes`);
      const pausedRss = await server.memoryKiB('VmRSS');

      let peakRss = pausedRss;
      const sampler = setInterval(() => {
        server.memoryKiB('VmRSS').then(
          (rss) => (peakRss = Math.max(peakRss, rss)),
          () => {},
        );
      }, 20);
      stream.resume();
      await ended;
      clearInterval(sampler);

      assert.equal(received, SIZE);
      assert.equal(hash.digest('hex'), expectedDigest());
      const hwm = await server.memoryKiB('VmHWM');
      const growthMiB = (peakRss - pausedRss) / 1024;
      // Buffering the output would add ~50 MiB; one chunk per stream plus HTTP/2 windows is a few.
      assert.ok(
        growthMiB < 24,
        `RSS grew ${growthMiB.toFixed(1)} MiB while streaming 50 MiB (VmHWM ${hwm} KiB)`,
      );
      assert.ok(hwm / 1024 < 200, `VmHWM ${hwm} KiB`);
      await eventually(() => true);
    } finally {
      alice.raw.close();
      await server.close();
    }
  });
});
