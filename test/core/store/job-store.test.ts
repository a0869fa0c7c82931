import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError, InvalidJobIdError, JobNotFoundError } from '../../../src/core/errors.js';
import { DuplicateJobIdError, JobStoreError } from '../../../src/core/store/errors.js';
import { MAX_ID_ATTEMPTS } from '../../../src/core/store/job-store.js';
import type { JobPatch } from '../../../src/core/store/job-store.js';
import { JOB_STATUSES, JOB_TYPES } from '../../../src/core/types.js';
import type { Job } from '../../../src/core/types.js';
import { ARGUMENT_VARIANTS, fullJob, openTempStore, pendingJob } from './helpers.js';

describe('JobStore: insert and get', () => {
  it('round-trips every argument variant', (t) => {
    const { store } = openTempStore(t);
    const ids = ['AAAAAA', 'BBBBBB', 'CCCCCC', 'DDDDDD', 'EEEEEE', 'FFFFFF', 'GGGGGG'];
    ARGUMENT_VARIANTS.forEach((args, i) => {
      const job = pendingJob(ids[i] ?? 'ZZZZZZ', { type: args.type, args });
      store.insert(job);
      assert.deepEqual(store.get(job.id), job);
    });
  });

  it('round-trips a job with every field set, and one with every optional field absent', (t) => {
    const { store } = openTempStore(t);
    const full = fullJob('XE38YM');
    const bare = pendingJob('XE38YN');
    store.insert(full);
    store.insert(bare);
    assert.deepEqual(store.get('XE38YM'), full);
    const readBare = store.get('XE38YN');
    assert.deepEqual(readBare, bare);
    // Absent means absent, not present-and-undefined.
    for (const key of ['startedAt', 'finishedAt', 'exitCode', 'signal', 'error', 'usage']) {
      assert.equal(Object.hasOwn(readBare ?? {}, key), false, key);
    }
  });

  it('accepts every status and every type that the types declare', (t) => {
    const { store } = openTempStore(t);
    const ids = ['AAAAAA', 'BBBBBB', 'CCCCCC', 'DDDDDD', 'EEEEEE', 'FFFFFF'];
    JOB_STATUSES.forEach((status, i) => store.insert(pendingJob(ids[i] ?? 'ZZZZZZ', { status })));
    for (const type of JOB_TYPES) {
      const args = ARGUMENT_VARIANTS.find((variant) => variant.type === type);
      assert.ok(args);
      store.insertWithNewId((id) => pendingJob(id, { type, args }));
    }
    assert.equal(store.list({ limit: 100 }).jobs.length, JOB_STATUSES.length + JOB_TYPES.length);
  });

  it('returns undefined for an unknown ID and refuses a malformed one', (t) => {
    const { store } = openTempStore(t);
    assert.equal(store.get('XE38YM'), undefined);
    for (const id of ['../x', '', 'xe38ym', 'XE38Y0', 'A'.repeat(1024)]) {
      assert.throws(() => store.get(id), InvalidJobIdError, id);
      assert.throws(() => store.delete(id), InvalidJobIdError, id);
      assert.throws(() => store.update(id, { status: 'running' }), InvalidJobIdError, id);
      assert.throws(() => store.insert(pendingJob(id)), InvalidJobIdError, id);
    }
  });

  it('refuses a duplicate ID and keeps the first job', (t) => {
    const { store } = openTempStore(t);
    const first = pendingJob('XE38YM');
    store.insert(first);
    assert.throws(
      () => store.insert(pendingJob('XE38YM', { owner: 'mallory' })),
      (error: unknown) =>
        error instanceof DuplicateJobIdError &&
        error.code === 'WN_DUPLICATE_JOB_ID' &&
        error.jobId === 'XE38YM' &&
        /already exists/.test(error.message),
    );
    assert.deepEqual(store.get('XE38YM'), first);
  });

  it('refuses numbers it could not read back, and a type that disagrees with the arguments', (t) => {
    const { store } = openTempStore(t);
    assert.throws(() => store.insert(pendingJob('XE38YM', { createdAt: 1.5 })), InvalidArgumentError);
    assert.throws(() => store.insert(pendingJob('XE38YM', { startedAt: Number.NaN })), InvalidArgumentError);
    assert.throws(() => store.insert(pendingJob('XE38YM', { outputBytes: 2 ** 53 })), InvalidArgumentError);
    assert.throws(() => store.insert(pendingJob('XE38YM', { type: 'fibonacci' })), /args\.type/);
    assert.equal(store.get('XE38YM'), undefined);
  });

  it('turns a constraint failure into a JobStoreError that names the step', (t) => {
    const { store } = openTempStore(t);
    assert.throws(
      () => store.insert(pendingJob('XE38YM', { outputBytes: -1 })),
      (error: unknown) =>
        error instanceof JobStoreError &&
        error.code === 'WN_JOB_STORE' &&
        error.sqliteCode === 'SQLITE_CONSTRAINT_CHECK' &&
        error.message.startsWith('job store: insert XE38YM: SQLITE_CONSTRAINT_CHECK') &&
        error.cause instanceof Error,
    );
    assert.throws(
      () => store.insert(pendingJob('XE38YN', { status: 'bogus' as Job['status'] })),
      /SQLITE_CONSTRAINT_CHECK/,
    );
  });
});

describe('JobStore: insertWithNewId', () => {
  it('inserts the job built around a fresh ID', (t) => {
    const { store } = openTempStore(t);
    const job = store.insertWithNewId((id) => pendingJob(id));
    assert.match(job.id, /^[A-HJ-NP-Z2-9]{6}$/);
    assert.deepEqual(store.get(job.id), job);
  });

  it('draws again when the ID is taken', (t) => {
    const { store } = openTempStore(t);
    store.insert(pendingJob('AAAAAA'));
    const drawn = ['AAAAAA', 'AAAAAA', 'BBBBBB'];
    const offered: string[] = [];
    const job = store.insertWithNewId(
      (id) => {
        offered.push(id);
        return pendingJob(id, { owner: 'bob' });
      },
      () => drawn.shift() ?? 'ZZZZZZ',
    );
    assert.equal(job.id, 'BBBBBB');
    assert.deepEqual(offered, ['BBBBBB']);
    assert.equal(store.get('AAAAAA')?.owner, 'alice');
    assert.equal(store.get('BBBBBB')?.owner, 'bob');
  });

  it(`gives up after ${MAX_ID_ATTEMPTS} collisions`, (t) => {
    const { store } = openTempStore(t);
    store.insert(pendingJob('AAAAAA'));
    let draws = 0;
    assert.throws(
      () =>
        store.insertWithNewId(
          (id) => pendingJob(id),
          () => {
            draws++;
            return 'AAAAAA';
          },
        ),
      (error: unknown) =>
        error instanceof JobStoreError && /no free job ID after 20 attempts/.test(error.message),
    );
    assert.equal(draws, MAX_ID_ATTEMPTS);
  });

  it('refuses a malformed generated ID, a job with another ID, and inserts nothing when make throws', (t) => {
    const { store } = openTempStore(t);
    assert.throws(
      () =>
        store.insertWithNewId(
          (id) => pendingJob(id),
          () => '../etc',
        ),
      InvalidJobIdError,
    );
    assert.throws(
      () =>
        store.insertWithNewId(
          () => pendingJob('CCCCCC'),
          () => 'BBBBBB',
        ),
      InvalidArgumentError,
    );
    const boom = new Error('boom');
    assert.throws(
      () =>
        store.insertWithNewId(
          () => {
            throw boom;
          },
          () => 'DDDDDD',
        ),
      (error: unknown) => error === boom,
    );
    assert.deepEqual(store.list({ limit: 10 }).jobs, []);
  });
});

describe('JobStore: update', () => {
  it('sets fields, clears optional ones given as undefined, and leaves the rest', (t) => {
    const { store } = openTempStore(t);
    store.insert(pendingJob('XE38YM', { error: 'will be cleared', limits: { pids: 10 } }));

    const running = store.update('XE38YM', { status: 'running', startedAt: 1_700_000_001_000 });
    assert.equal(running.status, 'running');
    assert.equal(running.startedAt, 1_700_000_001_000);
    assert.equal(running.error, 'will be cleared');
    assert.deepEqual(store.get('XE38YM'), running);

    const ended = store.update('XE38YM', {
      status: 'complete',
      finishedAt: 1_700_000_002_000,
      exitCode: 0,
      error: undefined,
      usage: { cpuTimeMicros: 1234, peakMemoryBytes: 4096, oomKilled: false },
      outputBytes: 42,
    });
    assert.deepEqual(ended, {
      ...pendingJob('XE38YM', { limits: { pids: 10 } }),
      status: 'complete',
      startedAt: 1_700_000_001_000,
      finishedAt: 1_700_000_002_000,
      exitCode: 0,
      usage: { cpuTimeMicros: 1234, peakMemoryBytes: 4096, oomKilled: false },
      outputBytes: 42,
    });
    assert.equal(Object.hasOwn(ended, 'error'), false);
    assert.deepEqual(store.get('XE38YM'), ended);

    const cleared = store.update('XE38YM', { usage: undefined, exitCode: undefined, startedAt: undefined });
    for (const key of ['usage', 'exitCode', 'startedAt']) assert.equal(Object.hasOwn(cleared, key), false);
    assert.deepEqual(store.get('XE38YM'), cleared);
    assert.deepEqual(store.update('XE38YM', {}), cleared);
  });

  it('never changes identity fields, even when a caller slips them in', (t) => {
    const { store } = openTempStore(t);
    const job = pendingJob('XE38YM');
    store.insert(job);
    store.insert(pendingJob('ZZZZZZ', { owner: 'zed' }));
    const sneaky = { id: 'ZZZZZZ', owner: 'mallory', createdAt: 0, status: 'running' } as unknown as JobPatch;
    const updated = store.update('XE38YM', sneaky);
    assert.deepEqual(updated, { ...job, status: 'running' });
    assert.equal(store.get('ZZZZZZ')?.status, 'pending');
    assert.equal(store.get('ZZZZZZ')?.owner, 'zed');
  });

  it('refuses to clear a required field and changes nothing', (t) => {
    const { store } = openTempStore(t);
    const job = pendingJob('XE38YM');
    store.insert(job);
    for (const key of ['status', 'limits', 'isolation', 'outputBytes'] as const) {
      assert.throws(
        () => store.update('XE38YM', { startedAt: 5, [key]: undefined }),
        InvalidArgumentError,
        key,
      );
    }
    assert.throws(() => store.update('XE38YM', { startedAt: 5, outputBytes: 0.5 }), InvalidArgumentError);
    assert.deepEqual(store.get('XE38YM'), job);
  });

  it('throws JobNotFoundError for a job that does not exist', (t) => {
    const { store } = openTempStore(t);
    assert.throws(() => store.update('XE38YM', { status: 'running' }), JobNotFoundError);
  });
});

describe('JobStore: retention helpers and counts', () => {
  it('lists ended jobs by finish time, deletes, and counts by status', (t) => {
    const { store } = openTempStore(t);
    store.insert(pendingJob('AAAAAA', { status: 'complete', finishedAt: 300, outputBytes: 3 }));
    store.insert(pendingJob('BBBBBB', { status: 'failed', finishedAt: 100, outputBytes: 1 }));
    store.insert(pendingJob('CCCCCC', { status: 'running', startedAt: 50 }));
    store.insert(pendingJob('DDDDDD', { status: 'stopped', finishedAt: 200, outputBytes: 2 }));
    store.insert(pendingJob('EEEEEE', { status: 'lost', finishedAt: 100, outputBytes: 0 }));
    store.insert(pendingJob('FFFFFF'));

    assert.deepEqual(
      [...store.iterateEndedJobsOldestFirst()],
      [
        { id: 'BBBBBB', finishedAt: 100, outputBytes: 1 },
        { id: 'EEEEEE', finishedAt: 100, outputBytes: 0 },
        { id: 'DDDDDD', finishedAt: 200, outputBytes: 2 },
        { id: 'AAAAAA', finishedAt: 300, outputBytes: 3 },
      ],
    );
    assert.deepEqual(store.countByStatus(), {
      pending: 1,
      running: 1,
      complete: 1,
      failed: 1,
      stopped: 1,
      lost: 1,
    });

    store.delete('BBBBBB');
    assert.equal(store.get('BBBBBB'), undefined);
    store.delete('BBBBBB'); // already gone: nothing to do
    assert.equal([...store.iterateEndedJobsOldestFirst()][0]?.id, 'EEEEEE');
    assert.deepEqual(store.countByStatus(), {
      pending: 1,
      running: 1,
      complete: 1,
      failed: 0,
      stopped: 1,
      lost: 1,
    });

    // Several at once, in one transaction: an invalid ID refuses the whole batch.
    assert.throws(() => store.deleteMany(['EEEEEE', 'not an id']), InvalidJobIdError);
    assert.notEqual(store.get('EEEEEE'), undefined);
    store.deleteMany(['EEEEEE', 'DDDDDD', 'BBBBBB']);
    assert.deepEqual(
      [...store.iterateEndedJobsOldestFirst()].map((job) => job.id),
      ['AAAAAA'],
    );
  });

  it('reads ended jobs lazily: a sweep that stops early leaves the store free for writes', (t) => {
    const { store } = openTempStore(t);
    for (const [id, finishedAt] of [
      ['AAAAAA', 100],
      ['BBBBBB', 200],
      ['CCCCCC', 300],
    ] as const) {
      store.insert(pendingJob(id, { status: 'complete', finishedAt, outputBytes: 1 }));
    }
    const seen: string[] = [];
    for (const job of store.iterateEndedJobsOldestFirst()) {
      seen.push(job.id);
      if (job.finishedAt >= 200) break;
    }
    assert.deepEqual(seen, ['AAAAAA', 'BBBBBB']);
    // Breaking out closed the statement: writing now works.
    store.delete('AAAAAA');
    assert.deepEqual(
      [...store.iterateEndedJobsOldestFirst()].map((job) => job.id),
      ['BBBBBB', 'CCCCCC'],
    );
  });

  it('counts zero for every status of an empty store', (t) => {
    const { store } = openTempStore(t);
    assert.deepEqual(store.countByStatus(), {
      pending: 0,
      running: 0,
      complete: 0,
      failed: 0,
      stopped: 0,
      lost: 0,
    });
    assert.deepEqual([...store.iterateEndedJobsOldestFirst()], []);
  });
});
