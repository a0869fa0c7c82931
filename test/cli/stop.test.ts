import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stopSummary } from '../../src/cli/commands/stop.js';
import { JobStatus } from '../../src/gen/workernator/v1/workernator.js';
import { FakeApi, seedJob } from './helpers/fake-api.js';
import { runInProcess } from './helpers/run-in-process.js';

describe('jobs stop', () => {
  it('says how the job ended', () => {
    const stopped = (overrides: Parameters<typeof seedJob>[0]) =>
      stopSummary(seedJob({ status: JobStatus.JOB_STATUS_STOPPED, ...overrides }));
    assert.equal(stopped({ signal: 'SIGTERM' }), 'Stopped job XE38YM (it ended after SIGTERM)');
    assert.equal(
      stopped({ signal: 'SIGKILL' }),
      'Stopped job XE38YM (it did not end within the grace period after SIGTERM, so it was killed)',
    );
    assert.equal(stopped({ exitCode: 0 }), 'Stopped job XE38YM (it exited with code 0 after SIGTERM)');
    assert.equal(
      stopSummary(seedJob({ exitCode: 0 })),
      'Job XE38YM had already ended: Complete, exit code 0',
    );
  });

  it('sends --grace as a Duration, and no grace when the flag is absent', async () => {
    const api = new FakeApi();
    api.job = seedJob({ status: JobStatus.JOB_STATUS_STOPPED, signal: 'SIGTERM' });
    const { code, stdout } = await runInProcess(['jobs', 'stop', 'XE38YM', '--grace', '1m30s'], { api });
    assert.equal(code, 0);
    assert.equal(stdout, 'Stopped job XE38YM (it ended after SIGTERM)\n');
    assert.deepEqual(api.stopped[0], { id: 'XE38YM', gracePeriod: { seconds: 90n, nanos: 0 } });

    const half = await runInProcess(['jobs', 'stop', 'XE38YM', '--grace', '1.5s']);
    assert.deepEqual(half.api.stopped[0]?.gracePeriod, { seconds: 1n, nanos: 500_000_000 });
    const none = await runInProcess(['jobs', 'stop', 'XE38YM']);
    assert.equal(none.api.stopped[0]?.gracePeriod, undefined);
  });
});
