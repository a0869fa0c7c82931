import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { JobStoreError, UnsupportedStoreVersionError } from '../../../src/core/store/errors.js';
import { DB_FILE_NAME, JobStore } from '../../../src/core/store/job-store.js';
import { APPLICATION_ID, SCHEMA_VERSION } from '../../../src/core/store/migrations.js';
import { fullJob, openTempStore, pendingJob, tempDir } from './helpers.js';

/** Reads a pragma through a separate connection, as another process would see the file. */
function pragma(dbPath: string, name: string): unknown {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.pragma(name, { simple: true });
  } finally {
    db.close();
  }
}

function schema(dbPath: string): unknown[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
  } finally {
    db.close();
  }
}

describe('JobStore: opening and migrations', () => {
  it('creates a missing data directory 0700 and the database 0600, whatever the umask', (t) => {
    const dataDir = join(tempDir(t), 'nested', 'data');
    const oldUmask = process.umask(0);
    let store: JobStore;
    try {
      store = JobStore.open(dataDir);
    } finally {
      process.umask(oldUmask);
    }
    t.after(() => store.close());
    store.insert(pendingJob('XE38YM')); // makes SQLite create the -wal and -shm files
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    for (const suffix of ['', '-wal', '-shm']) {
      const path = join(dataDir, `${DB_FILE_NAME}${suffix}`);
      assert.ok(existsSync(path), path);
      assert.equal(statSync(path).mode & 0o777, 0o600, path);
    }
    assert.equal(store.path, join(dataDir, DB_FILE_NAME));
  });

  it('uses WAL mode and records the schema version', (t) => {
    const { store } = openTempStore(t);
    assert.equal(pragma(store.path, 'journal_mode'), 'wal');
    assert.equal(pragma(store.path, 'user_version'), SCHEMA_VERSION);
    assert.equal(pragma(store.path, 'application_id'), APPLICATION_ID);
  });

  it('reopens an up-to-date database without changing it', (t) => {
    const dataDir = join(tempDir(t), 'data');
    const first = JobStore.open(dataDir);
    first.insert(fullJob('XE38YM'));
    first.close();
    const before = schema(join(dataDir, DB_FILE_NAME));

    const second = JobStore.open(dataDir);
    t.after(() => second.close());
    assert.deepEqual(schema(second.path), before);
    assert.equal(pragma(second.path, 'user_version'), SCHEMA_VERSION);
    assert.deepEqual(second.get('XE38YM'), fullJob('XE38YM'));
  });

  it('refuses a database written by a newer version, and leaves it alone', (t) => {
    const dataDir = join(tempDir(t), 'data');
    JobStore.open(dataDir).close();
    const dbPath = join(dataDir, DB_FILE_NAME);
    const db = new Database(dbPath);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();

    assert.throws(
      () => JobStore.open(dataDir),
      (error: unknown) =>
        error instanceof UnsupportedStoreVersionError &&
        error.code === 'WN_STORE_VERSION' &&
        error.foundVersion === SCHEMA_VERSION + 1 &&
        error.message.includes(`schema version ${SCHEMA_VERSION + 1}`) &&
        error.message.includes('upgrade Workernator'),
    );
    assert.equal(pragma(dbPath, 'user_version'), SCHEMA_VERSION + 1);
  });

  it('refuses an SQLite database that is not a job store', (t) => {
    const dataDir = tempDir(t);
    const db = new Database(join(dataDir, DB_FILE_NAME));
    db.pragma('application_id = 42');
    db.exec('CREATE TABLE other (x)');
    db.close();
    assert.throws(() => JobStore.open(dataDir), /not a Workernator job store/);
  });

  it('reports an open failure with the step, the SQLite code and the cause', (t) => {
    const dataDir = tempDir(t);
    mkdirSync(join(dataDir, DB_FILE_NAME)); // a directory where the database file should be
    assert.throws(
      () => JobStore.open(dataDir),
      (error: unknown) =>
        error instanceof JobStoreError &&
        error.message.startsWith(`job store: open ${join(dataDir, DB_FILE_NAME)}: SQLITE_CANTOPEN`) &&
        error.cause instanceof Error,
    );
  });

  it('reports a data directory that cannot be created', (t) => {
    const file = join(tempDir(t), 'a-file');
    writeFileSync(file, '');
    assert.throws(
      () => JobStore.open(join(file, 'data')),
      (error: unknown) =>
        error instanceof JobStoreError &&
        error.sqliteCode === 'ENOTDIR' &&
        error.message.startsWith(`job store: open ${join(file, 'data', DB_FILE_NAME)}: ENOTDIR`),
    );
  });
});

describe('JobStore: restart and close', () => {
  it('marks the jobs an earlier process left unfinished as lost', (t) => {
    const dataDir = join(tempDir(t), 'data');
    const before = JobStore.open(dataDir);
    before.insert(pendingJob('AAAAAA', { createdAt: 3 }));
    before.insert(pendingJob('BBBBBB', { status: 'running', startedAt: 2, createdAt: 1 }));
    const complete = pendingJob('CCCCCC', { status: 'complete', finishedAt: 5, exitCode: 0 });
    before.insert(complete);
    before.close(); // the server goes away

    const after = JobStore.open(dataDir);
    t.after(() => after.close());
    assert.deepEqual(after.markUnfinishedAsLost('the server restarted while the job ran', 9_000), [
      'BBBBBB',
      'AAAAAA',
    ]);
    assert.deepEqual(after.get('AAAAAA'), {
      ...pendingJob('AAAAAA', { createdAt: 3 }),
      status: 'lost',
      error: 'the server restarted while the job ran',
      finishedAt: 9_000,
    });
    assert.equal(after.get('BBBBBB')?.status, 'lost');
    assert.equal(after.get('BBBBBB')?.startedAt, 2);
    assert.deepEqual(after.get('CCCCCC'), complete);
    assert.deepEqual(after.markUnfinishedAsLost('again', 10_000), []);
    assert.throws(() => after.markUnfinishedAsLost('again', 1.5), InvalidArgumentError);
  });

  it('closes idempotently and refuses work afterwards', (t) => {
    const { store } = openTempStore(t);
    store.close();
    store.close();
    assert.throws(
      () => store.get('XE38YM'),
      (error: unknown) =>
        error instanceof JobStoreError &&
        /job store: get XE38YM: the job store is closed/.test(error.message),
    );
    assert.throws(() => store.insert(pendingJob('XE38YM')), /closed/);
    assert.throws(() => store.list({ limit: 1 }), /closed/);
  });
});
