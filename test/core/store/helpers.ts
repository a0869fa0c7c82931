/** Shared fixtures of the store tests: a fresh temporary data directory per test, and sample jobs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { JobStore } from '../../../src/core/store/job-store.js';
import type { Job, JobArguments } from '../../../src/core/types.js';

/** A fresh directory, removed (with everything in it) when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'wn-store-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A store in a fresh data directory, closed and removed when the test ends. */
export function openTempStore(t: TestContext): { store: JobStore; dataDir: string } {
  const dataDir = join(tempDir(t), 'data');
  const store = JobStore.open(dataDir);
  // Registered after tempDir's hook, so it runs first (after hooks run in reverse order).
  t.after(() => store.close());
  return { store, dataDir };
}

/** One of each argument variant, optional fields both absent and present. */
export const ARGUMENT_VARIANTS: readonly JobArguments[] = [
  { type: 'noop' },
  { type: 'fibonacci', position: 90 },
  { type: 'expression-evaluator', expression: '(a + b) ^ 2 / pi', variables: { a: 1.5, b: -2 } },
  { type: 'expression-evaluator', expression: '1 + 1', variables: {} },
  { type: 'wait-then-send', url: 'https://example.com/hook?x=1&y="2"', waitSeconds: 30 },
  { type: 'command', executable: '/bin/sh', args: [], env: {} },
  {
    type: 'command',
    executable: 'printf',
    args: ['%s\\n', 'héllo wörld ✓', "it's", '--', ''],
    env: { PATH: '/usr/bin:/bin', SECRET: 'line1\nline2 "quoted"', EMPTY: '' },
    workingDir: '/srv/work dir',
  },
];

/** A minimal pending job: every optional field absent. */
export function pendingJob(id: string, overrides: Partial<Job> = {}): Job {
  return {
    id,
    type: 'noop',
    args: { type: 'noop' },
    owner: 'alice',
    status: 'pending',
    createdAt: 1_700_000_000_000,
    limits: {},
    isolation: { network: 'isolated', runAsRoot: false },
    outputBytes: 0,
    ...overrides,
  };
}

/** A job with every field set. */
export function fullJob(id: string): Job {
  return {
    id,
    type: 'command',
    args: {
      type: 'command',
      executable: '/usr/bin/env',
      args: ['-0'],
      env: { LANG: 'C.UTF-8' },
      workingDir: '/tmp',
    },
    owner: 'CN=bob, O=Ünïcødé 🚀',
    status: 'failed',
    createdAt: 1_700_000_000_123,
    startedAt: 1_700_000_000_456,
    finishedAt: 1_700_000_009_999,
    exitCode: 137,
    signal: 'SIGKILL',
    error: 'out of memory: the job used more than its 64 MiB',
    limits: {
      cpuMillicores: 500,
      memoryBytes: 64 * 1024 * 1024,
      ioReadBytesPerSecond: 10_000_000,
      ioWriteBytesPerSecond: 5_000_000,
      ioReadIops: 1000,
      ioWriteIops: 500,
      pids: 64,
    },
    usage: { cpuTimeMicros: 2 ** 40, peakMemoryBytes: 67_108_864, oomKilled: true },
    isolation: { network: 'host', runAsRoot: true },
    outputBytes: Number.MAX_SAFE_INTEGER,
  };
}
