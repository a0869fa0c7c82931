/** workernatord as a process: signals, the unsafe-mode warning, and certs from the command line. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { JobType } from '../../src/gen/workernator/v1/workernator.js';
import { tempDir } from '../helpers/temp-dir.js';
import { outputContains } from './helpers/assertions.js';
import { RpcClient } from './helpers/rpc-client.js';
import { MAIN, startServerProcess } from './helpers/server-process.js';
import { clientFor } from './helpers/test-server.js';

const run = promisify(execFile);

describe('workernatord process', () => {
  it('warns loudly in unsafe mode, and exits 0 after an orderly shutdown on SIGTERM', async () => {
    const server = await startServerProcess();
    try {
      assert.match(server.stderr(), /UNSAFE: --unsafe-no-sandbox is set/);
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
      assert.ok(server.logs.some((l) => l.msg === 'shut down'));
    } finally {
      await server.close();
    }
  });

  it('exits at once on a second signal, even while jobs are still in their grace period', async () => {
    const server = await startServerProcess(['--shutdown-grace', '30s']);
    const admin = new RpcClient(await clientFor(server.tlsDir, 'admin', server.port));
    let pid = 0;
    try {
      const job = await admin.start({
        type: JobType.JOB_TYPE_COMMAND,
        args: {
          kind: {
            $case: 'command',
            value: { executable: '/bin/sh', args: ['-c', "trap '' TERM; echo $$; sleep 30"], env: {} },
          },
        },
      });
      await outputContains(admin, job.id, '\n');
      pid = Number((await admin.tail({ id: job.id, noFollow: true })).data.toString().trim());
      server.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(server.child.exitCode, null, 'still waiting for the job after the first signal');
      const began = Date.now();
      server.child.kill('SIGINT');
      assert.equal(await server.exited, 1);
      assert.ok(Date.now() - began < 3_000);
    } finally {
      admin.raw.close();
      // The process-group launcher's jobs outlive a forced exit (the sandbox's do not): clean up.
      if (pid > 0) process.kill(-pid, 'SIGKILL');
      await server.close();
    }
  });

  it('makes a PKI with certs init and issue', async () => {
    const temp = await tempDir();
    try {
      const tlsDir = `${temp.path}/tls`;
      const init = await run(process.execPath, [MAIN, 'certs', 'init', '--tls-dir', tlsDir]);
      assert.match(init.stdout, /admin certificate/);
      const issue = await run(process.execPath, [
        MAIN,
        'certs',
        'issue',
        '--tls-dir',
        tlsDir,
        '--name',
        'carol',
        '--role',
        'viewer',
      ]);
      assert.match(issue.stdout, /issued viewer certificate for carol/);
      await assert.rejects(
        run(process.execPath, [
          MAIN,
          'certs',
          'issue',
          '--tls-dir',
          tlsDir,
          '--name',
          'carol',
          '--role',
          'boss',
        ]),
        /boss/,
      );
    } finally {
      await temp.remove();
    }
  });

  it('refuses a bad setting with a message that names it, and exit code 1', async () => {
    await assert.rejects(
      run(process.execPath, [MAIN, '--listen', 'nowhere']),
      (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, /^workernatord: --listen: must be host:port/);
        return true;
      },
    );
  });
});
