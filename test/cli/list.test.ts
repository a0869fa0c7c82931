import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobStatus } from '../../src/gen/workernator/v1/workernator.js';
import { FakeApi, seedJob } from './helpers/fake-api.js';
import { runInProcess } from './helpers/run-in-process.js';

const job = (id: string) => seedJob({ id });

describe('jobs list', () => {
  it('prints a table of the first page and says when there are more', async () => {
    const api = new FakeApi();
    api.pages = [
      {
        jobs: [
          job('AAAAAA'),
          seedJob({
            id: 'BBBBBB',
            status: JobStatus.JOB_STATUS_PENDING,
            startedAt: undefined,
            finishedAt: undefined,
            owner: 'alice',
          }),
        ],
        nextPageToken: 't1',
      },
    ];
    const { code, stdout, stderr } = await runInProcess(['jobs', 'list', '--limit', '2'], { api });
    assert.equal(code, 0);
    assert.equal(
      stdout,
      [
        'ID       TYPE        STATUS     OWNER   STARTED               DURATION',
        'AAAAAA   fibonacci   complete   admin   2022-07-07 16:34:03   1s',
        'BBBBBB   fibonacci   pending    alice   -                     -',
        '',
      ].join('\n'),
    );
    assert.equal(stderr, 'More jobs than shown: use --all, or a larger --limit.\n');
    assert.equal(api.listed[0]?.pageSize, 2);
  });

  it('--all follows the page tokens to the end', async () => {
    const api = new FakeApi();
    api.pages = [
      { jobs: [job('AAAAAA')], nextPageToken: 't1' },
      { jobs: [job('BBBBBB')], nextPageToken: 't2' },
      { jobs: [job('CCCCCC')], nextPageToken: '' },
    ];
    const { stdout, stderr } = await runInProcess(
      ['jobs', 'list', '--all', '--status', 'complete,failed', '--owner', 'bob', '-o', 'json'],
      { api },
    );
    assert.equal(stderr, '');
    const result = JSON.parse(stdout) as { jobs: { id: string }[]; nextPageToken: string | null };
    assert.deepEqual(
      result.jobs.map((j) => j.id),
      ['AAAAAA', 'BBBBBB', 'CCCCCC'],
    );
    assert.equal(result.nextPageToken, null);
    assert.deepEqual(
      api.listed.map((r) => r.pageToken),
      ['', 't1', 't2'],
    );
    assert.deepEqual(api.listed[0]?.statuses, [JobStatus.JOB_STATUS_COMPLETE, JobStatus.JOB_STATUS_FAILED]);
    assert.equal(api.listed[0]?.owner, 'bob');
  });

  it('an empty list says so on stderr', async () => {
    const { stdout, stderr } = await runInProcess(['jobs', 'list']);
    assert.equal(stdout, '');
    assert.equal(stderr, 'No jobs found.\n');
  });

  it('refuses an unknown status', async () => {
    const { code, stderr } = await runInProcess(['jobs', 'list', '--status', 'done']);
    assert.equal(code, 1);
    assert.match(
      stderr,
      /^Error: invalid argument "done" for "--status" flag: expected one or more of pending, running/,
    );
  });
});
