import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { JOB_ID_ALPHABET } from '../../../src/core/ids.js';
import { encodeCursor } from '../../../src/core/store/cursor.js';
import { InvalidCursorError } from '../../../src/core/store/errors.js';
import type { JobStore, ListQuery } from '../../../src/core/store/job-store.js';
import type { Job, JobStatus } from '../../../src/core/types.js';
import { openTempStore, pendingJob } from './helpers.js';

const STATUS_CYCLE: readonly JobStatus[] = ['pending', 'running', 'complete', 'failed', 'stopped'];

/**
 * 25 jobs whose creation times repeat (three per millisecond), so the order must fall back on the
 * ID; inserted in shuffled order, so insertion order cannot pass for the right one.
 */
function seed(store: JobStore): Job[] {
  const jobs = Array.from({ length: 25 }, (_, i) =>
    pendingJob(`JXB${JOB_ID_ALPHABET[i] ?? 'Z'}${JOB_ID_ALPHABET[(i * 7) % 32] ?? 'Z'}Z`, {
      owner: i % 2 === 0 ? 'alice' : 'bob',
      status: STATUS_CYCLE[i % STATUS_CYCLE.length] ?? 'pending',
      createdAt: 1_000 + Math.floor(i / 3),
    }),
  );
  for (const job of [...jobs].sort((a, b) => (a.id.charCodeAt(4) % 5) - (b.id.charCodeAt(4) % 5))) {
    store.insert(job);
  }
  return jobs;
}

function newestFirst(jobs: readonly Job[]): Job[] {
  return [...jobs].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

function pageThrough(store: JobStore, query: Omit<ListQuery, 'cursor'>): { pages: number[]; jobs: Job[] } {
  const pages: number[] = [];
  const jobs: Job[] = [];
  let cursor: string | undefined;
  do {
    const page = store.list({ ...query, ...(cursor !== undefined && { cursor }) });
    pages.push(page.jobs.length);
    jobs.push(...page.jobs);
    cursor = page.nextCursor;
  } while (cursor !== undefined && pages.length < 100);
  return { pages, jobs };
}

describe('JobStore.list', () => {
  it('lists newest first by (createdAt, id)', (t) => {
    const { store } = openTempStore(t);
    const jobs = seed(store);
    const { jobs: listed, nextCursor } = store.list({ limit: 100 });
    assert.deepEqual(listed, newestFirst(jobs));
    assert.equal(nextCursor, undefined);
  });

  it('pages through 25 jobs 10 at a time with no duplicates and no gaps', (t) => {
    const { store } = openTempStore(t);
    const jobs = seed(store);
    const { pages, jobs: listed } = pageThrough(store, { limit: 10 });
    assert.deepEqual(pages, [10, 10, 5]);
    assert.equal(new Set(listed.map((job) => job.id)).size, 25);
    assert.deepEqual(listed, newestFirst(jobs));
  });

  it('gives no cursor when the last page is exactly full', (t) => {
    const { store } = openTempStore(t);
    seed(store);
    assert.deepEqual(pageThrough(store, { limit: 5 }).pages, [5, 5, 5, 5, 5]);
    assert.deepEqual(pageThrough(store, { limit: 25 }).pages, [25]);
  });

  it('filters by owner and by status, also across pages', (t) => {
    const { store } = openTempStore(t);
    const jobs = seed(store);
    const alice = pageThrough(store, { owner: 'alice', limit: 4 });
    assert.deepEqual(alice.pages, [4, 4, 4, 1]);
    assert.deepEqual(alice.jobs, newestFirst(jobs.filter((job) => job.owner === 'alice')));

    const ended = pageThrough(store, { statuses: ['complete', 'failed'], limit: 3 });
    assert.deepEqual(
      ended.jobs,
      newestFirst(jobs.filter((job) => ['complete', 'failed'].includes(job.status))),
    );
    assert.equal(ended.jobs.length, 10);

    const bobRunning = pageThrough(store, { owner: 'bob', statuses: ['running'], limit: 2 });
    assert.deepEqual(
      bobRunning.jobs,
      newestFirst(jobs.filter((job) => job.owner === 'bob' && job.status === 'running')),
    );
    assert.ok(bobRunning.jobs.length > 0);

    assert.deepEqual(store.list({ owner: 'carol', limit: 10 }), { jobs: [] });
    assert.deepEqual(store.list({ statuses: ['lost'], limit: 10 }), { jobs: [] });
    assert.equal(store.list({ statuses: [], limit: 100 }).jobs.length, 25);
  });

  it('refuses a cursor it did not issue', (t) => {
    const { store } = openTempStore(t);
    seed(store);
    const good = store.list({ limit: 10 }).nextCursor;
    assert.ok(good !== undefined);
    const bad = [
      '',
      'garbage!',
      good.slice(0, -2),
      `${good}A`,
      good.toLowerCase(),
      'A'.repeat(1024),
      Buffer.from('2.1000.XE38YM').toString('base64url'),
      Buffer.from('1.1000.xe38ym').toString('base64url'),
      Buffer.from('1.1000.../etc').toString('base64url'),
      Buffer.from('1.01000.XE38YM').toString('base64url'),
      Buffer.from('1.99999999999999999.XE38YM').toString('base64url'),
      Buffer.from("1.1000.XE38YM' OR 1=1").toString('base64url'),
      `${encodeCursor({ createdAt: 1000, id: 'XE38YM' })}=`,
    ];
    for (const cursor of bad) {
      assert.throws(
        () => store.list({ limit: 10, cursor }),
        (error: unknown) => error instanceof InvalidCursorError && error.code === 'WN_INVALID_CURSOR',
        cursor,
      );
    }
  });

  it('refuses a bad limit or an unknown status', (t) => {
    const { store } = openTempStore(t);
    for (const limit of [0, -1, 1.5, 1001, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => store.list({ limit }), InvalidArgumentError, String(limit));
    }
    assert.throws(() => store.list({ limit: 10, statuses: ['done' as JobStatus] }), InvalidArgumentError);
  });
});
