/**
 * Interop: `buf curl` (Go's gRPC stack, from the @bufbuild/buf package) drives the server over mutual
 * TLS with the admin certificate, reading the schema from proto/: Start, Status, Tail, and an error.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tlsLayout } from '../../src/pki/layout.js';
import { withoutTimestamps } from '../helpers/manager.js';
import { ROOT } from './helpers/server-process.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const run = promisify(execFile);
const BUF = join(ROOT, 'node_modules/.bin/buf');

describe('interop with buf curl (Go gRPC)', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  async function bufCurl(
    method: string,
    body: object,
    name = 'admin',
  ): Promise<{ code: number; out: string; err: string }> {
    const layout = tlsLayout(t.tlsDir);
    const client = layout.client(name);
    // prettier-ignore
    const args = ['curl', '--protocol', 'grpc', '--schema', 'proto',
      '--cacert', layout.serverCaCert, '--cert', client.cert, '--key', client.key,
      '-d', JSON.stringify(body), `https://localhost:${t.port}/workernator.v1.JobService/${method}`];
    try {
      const { stdout, stderr } = await run(BUF, args, { cwd: ROOT });
      return { code: 0, out: stdout, err: stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, out: failed.stdout, err: failed.stderr };
    }
  }

  it('starts a job, reads its status, and tails it', async () => {
    const started = await bufCurl('Start', {
      type: 'JOB_TYPE_FIBONACCI',
      args: { fibonacci: { position: 3 } },
    });
    assert.equal(started.code, 0, started.err);
    const job = JSON.parse(started.out) as { id: string; owner: string; type: string };
    assert.equal(job.owner, 'admin');
    assert.equal(job.type, 'JOB_TYPE_FIBONACCI');

    const tailed = await bufCurl('Tail', { id: job.id });
    assert.equal(tailed.code, 0, tailed.err);
    // One JSON object per message, each with base64 data.
    const text = tailed.out
      .split(/\n(?=\{)/)
      .map((message) =>
        Buffer.from((JSON.parse(message) as { data?: string }).data ?? '', 'base64').toString(),
      )
      .join('');
    assert.match(withoutTimestamps(text), /\[RESULT\] 1\n\[JOB\] Complete\n$/);

    const status = await bufCurl('Status', { id: job.id });
    assert.equal(status.code, 0, status.err);
    assert.equal((JSON.parse(status.out) as { status: string }).status, 'JOB_STATUS_COMPLETE');
  });

  it('gets the same status codes: invalid_argument for a bad ID, not_found for a job of someone else', async () => {
    const bad = await bufCurl('Status', { id: '../x' });
    assert.notEqual(bad.code, 0);
    assert.match(bad.out + bad.err, /invalid_argument/);
    const job = JSON.parse((await bufCurl('Start', { type: 'JOB_TYPE_NOOP' }, 'bob')).out) as { id: string };
    const hidden = await bufCurl('Status', { id: job.id }, 'alice');
    assert.match(hidden.out + hidden.err, /not_found/);
  });
});
