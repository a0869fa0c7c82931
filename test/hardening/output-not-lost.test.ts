/**
 * Nothing that was written is ever lost: a job that writes a line and exits at once must have that
 * line in its log, however busy the server is (found by the soak, bench/soak.ts).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { JobStatus, JobType } from '../../src/gen/workernator/v1/workernator.js';
import { startSandboxedTestServer, type SandboxedTestServer } from './helpers/server.js';

let server: SandboxedTestServer;
before(async () => {
  server = await startSandboxedTestServer({ maxRunningJobsPerIdentity: 256, maxTailsPerIdentity: 256 });
});
after(async () => {
  await server?.close();
});

it('keeps the output of 200 quick jobs started at once', async () => {
  const lost: string[] = [];
  await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const job = await server.as.alice.start({
        type: JobType.JOB_TYPE_COMMAND,
        args: {
          kind: {
            $case: 'command',
            value: { executable: '/bin/echo', args: [`line ${i}`], env: { PATH: '/usr/bin:/bin' } },
          },
        },
      });
      const output = (await server.as.alice.tail({ id: job.id })).data.toString();
      const end = await server.as.alice.status(job.id);
      assert.equal(end.status, JobStatus.JOB_STATUS_COMPLETE);
      if (output !== `line ${i}\n`)
        lost.push(`${job.id}: ${JSON.stringify(output)}, ${end.outputBytes} bytes recorded`);
    }),
  );
  assert.deepEqual(lost, [], `${lost.length} of 200 jobs lost their output`);
});
