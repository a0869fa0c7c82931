/** The health service, and the orderly shutdown: live tails end, jobs stop, new calls are refused. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import { JobManager } from '../../src/core/job-manager.js';
import { ProcessGroupLauncher } from '../../src/core/process-group-launcher.js';
import { JobType } from '../../src/gen/workernator/v1/workernator.js';
import { createClientCredentials } from '../../src/pki/client-credentials.js';
import { tlsLayout } from '../../src/pki/layout.js';
import {
  decodeResponse,
  encodeRequest,
  ServingStatus,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from '../../src/server/health/health-codec.js';
import { HEALTH_CHECK_PATH } from '../../src/server/health/health-service.js';
import { assertStatus, eventually, GrpcCode } from './helpers/assertions.js';
import { collectTail } from './helpers/rpc-client.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

async function healthCheck(t: TestServer, service: string): Promise<HealthCheckResponse> {
  const layout = tlsLayout(t.tlsDir);
  const admin = layout.client('vera');
  const client = new Client(
    `localhost:${t.port}`,
    createClientCredentials({
      caPem: await readFile(layout.serverCaCert),
      certPem: await readFile(admin.cert),
      keyPem: await readFile(admin.key),
    }),
  );
  try {
    return await new Promise((resolve, reject) => {
      client.makeUnaryRequest<HealthCheckRequest, HealthCheckResponse>(
        HEALTH_CHECK_PATH,
        encodeRequest,
        decodeResponse,
        { service },
        new Metadata(),
        {},
        (error: ServiceError | null, response?: HealthCheckResponse) =>
          error ? reject(error) : resolve(response!),
      );
    });
  } finally {
    client.close();
  }
}

/** The PID of a child of this process running `name`, if any. */
async function childRunning(name: string): Promise<number | undefined> {
  const children = (await readFile(`/proc/self/task/${process.pid}/children`, 'utf8'))
    .trim()
    .split(' ')
    .filter(Boolean);
  for (const pid of children) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').some((arg) => arg.endsWith(name))) return Number(pid);
  }
  return undefined;
}

const sleeper = {
  type: JobType.JOB_TYPE_COMMAND,
  args: { kind: { $case: 'command' as const, value: { executable: '/bin/sleep', args: ['30'], env: {} } } },
};

describe('health', () => {
  it('answers SERVING for the server and the JobService, NOT_FOUND for another service', async () => {
    const t = await startTestServer();
    try {
      assert.equal((await healthCheck(t, '')).status, ServingStatus.SERVING);
      assert.equal((await healthCheck(t, 'workernator.v1.JobService')).status, ServingStatus.SERVING);
      await assertStatus(healthCheck(t, 'nope.Service'), GrpcCode.NOT_FOUND, /unknown service/);
    } finally {
      await t.close();
    }
  });
});

describe('shutdown', () => {
  it('ends live tails with UNAVAILABLE, stops running jobs, refuses new calls, and closes the store', async () => {
    const t = await startTestServer({ config: { stopGrace: 200 } });
    const job = await t.as.alice.start(sleeper);
    const follower = collectTail(t.as.vera.tailStream({ id: job.id }));
    await eventually(() => t.server.liveTails === 1);
    const stopped = t.server.shutdown();
    await assertStatus(follower, GrpcCode.UNAVAILABLE);
    await stopped;
    assert.equal(t.server.liveTails, 0);
    await assertStatus(t.as.admin.status(job.id), GrpcCode.UNAVAILABLE);
    // The store was closed cleanly and recorded the stop with its reason.
    const manager = await JobManager.open({ dataDir: t.dataDir, launcher: new ProcessGroupLauncher() });
    try {
      const record = manager.status(job.id);
      assert.equal(record.status, 'stopped');
      assert.equal(record.error, 'the server shut down');
    } finally {
      await manager.close();
    }
    await t.close();
  });

  it('leaves jobs running when told to (they are LOST at the next start)', async () => {
    const t = await startTestServer({ config: { shutdownJobs: 'leave' } });
    const job = await t.as.alice.start(sleeper);
    await t.server.shutdown();
    const pid = await childRunning(job.args?.kind?.$case === 'command' ? 'sleep' : '');
    assert.ok(pid !== undefined, 'the job is still running after shutdown');
    process.kill(-pid, 'SIGKILL');
    await t.close();
  });

  it('keeps a second shutdown call harmless', async () => {
    const t = await startTestServer();
    const stream = t.as.vera.tailStream({ id: (await t.as.alice.start(sleeper)).id });
    stream.on('error', () => {});
    await eventually(() => t.server.liveTails === 1);
    await Promise.all([t.server.shutdown(), t.server.shutdown()]);
    await t.close();
  });
});
