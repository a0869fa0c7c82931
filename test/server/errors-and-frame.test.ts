/** toGrpcStatus, the one error mapping; the RPC frame without an identity; the sandbox refusal. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status as GrpcCode, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import {
  InvalidArgumentError,
  InvalidJobIdError,
  JobNotFoundError,
  JobStartError,
  ManagerClosedError,
  ResourceExhaustedError,
} from '../../src/core/errors.js';
import { JobStoreError } from '../../src/core/store/errors.js';
import { PkiIdentityError } from '../../src/pki/errors.js';
import { LimitAboveCapError, InvalidLimitError, SandboxUnavailableError } from '../../src/sandbox/errors.js';
import type { SandboxOptions } from '../../src/sandbox/index.js';
import { PermissionDeniedError, ServerStartError } from '../../src/server/errors.js';
import { DenyList } from '../../src/server/deny-list.js';
import { toGrpcStatus } from '../../src/server/grpc-status.js';
import { openLauncher } from '../../src/server/launcher.js';
import { createLogger } from '../../src/server/logger.js';
import { unary } from '../../src/server/rpc.js';
import { tempDir } from '../helpers/temp-dir.js';
import { defaultConfig } from './helpers/test-server.js';

describe('toGrpcStatus', () => {
  const cases: [unknown, GrpcCode][] = [
    [new InvalidJobIdError('../x'), GrpcCode.INVALID_ARGUMENT],
    [new JobNotFoundError('XE38YM'), GrpcCode.NOT_FOUND],
    [new InvalidArgumentError('args', 'bad'), GrpcCode.INVALID_ARGUMENT],
    [new LimitAboveCapError('memoryBytes', 2, 1, 'too much'), GrpcCode.INVALID_ARGUMENT],
    [new InvalidLimitError('pids', 0, 'zero'), GrpcCode.INVALID_ARGUMENT],
    [
      new JobStartError('executable not found: /x', 'exec', 'ENOENT', { causedByRequest: true }),
      GrpcCode.FAILED_PRECONDITION,
    ],
    [new JobStartError('write cpu.max: EACCES', 'cgroup', 'EACCES'), GrpcCode.UNAVAILABLE],
    // The launcher that made the error says whose fault it is; the step name alone decides nothing.
    [new JobStartError('exec failed', 'exec', 'ENOMEM'), GrpcCode.UNAVAILABLE],
    [new SandboxUnavailableError('no cgroupfs', 'cgroupfs'), GrpcCode.UNAVAILABLE],
    [new ResourceExhaustedError('jobs', 'too many jobs'), GrpcCode.RESOURCE_EXHAUSTED],
    [new ManagerClosedError(), GrpcCode.UNAVAILABLE],
    [new PkiIdentityError('no OU'), GrpcCode.UNAUTHENTICATED],
    [new PermissionDeniedError('/m', 'no'), GrpcCode.PERMISSION_DENIED],
    [new JobStoreError('get', 'SQLITE_IOERR', 'disk I/O error'), GrpcCode.INTERNAL],
    [new Error('secret /etc/path'), GrpcCode.INTERNAL],
    ['a string', GrpcCode.INTERNAL],
  ];
  for (const [error, code] of cases) {
    it(`maps ${error instanceof Error ? error.constructor.name : typeof error} to ${GrpcCode[code]}`, () => {
      assert.equal(GrpcCode[toGrpcStatus(error).code], GrpcCode[code]);
    });
  }

  it('keeps internal details and sandbox step details out of the message', () => {
    assert.doesNotMatch(toGrpcStatus(new Error('secret /etc/path')).details, /secret/);
    assert.doesNotMatch(toGrpcStatus(new JobStoreError('get', 'SQLITE_IOERR', 'disk')).details, /SQLITE/);
    const sandbox = toGrpcStatus(new JobStartError('write /sys/fs/cgroup/x: EACCES', 'cgroup', 'EACCES'));
    assert.doesNotMatch(sandbox.details, /sys\/fs/);
    assert.match(sandbox.details, /step: cgroup/);
    assert.equal(
      toGrpcStatus(
        new JobStartError('executable not found: /x', 'exec', undefined, { causedByRequest: true }),
      ).details,
      'executable not found: /x',
    );
  });
});

describe('the RPC frame', () => {
  it('answers UNAUTHENTICATED, and logs it, when the peer has no usable identity', async () => {
    const lines: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }),
    );
    let called = false;
    const handler = unary(
      {
        logger,
        isShuttingDown: () => false,
        denyList: () => new DenyList({ deniedClientSerials: [], deniedClientNames: [] }),
        onCallEnd: () => {},
      },
      '/workernator.v1.JobService/Status',
      () => {
        called = true;
        return Promise.resolve({});
      },
    );
    const call = {
      request: {},
      cancelled: false,
      getAuthContext: () => ({}),
      getDeadline: () => Infinity,
    } as unknown as ServerUnaryCall<object, object>;
    const answer = await new Promise<Parameters<sendUnaryData<object>>[0]>((resolve) =>
      handler(call, (error) => resolve(error)),
    );
    assert.equal(answer?.code, GrpcCode.UNAUTHENTICATED);
    assert.match(String(answer?.details), /no verified client certificate/);
    assert.equal(called, false);
    assert.match(lines.join(''), /"code":"UNAUTHENTICATED"/);
  });
});

function never(): never {
  throw new Error('unreachable');
}

describe('openLauncher', () => {
  // openLauncher makes the data directory: a temporary one, removed after the tests.
  let dataDir: { path: string; remove: () => Promise<void> };
  before(async () => {
    dataDir = await tempDir();
  });
  after(() => dataDir.remove());

  it('refuses to start without the sandbox, naming what is missing and the way out', async () => {
    const logger = createLogger('silent');
    const failing = () =>
      Promise.reject(new SandboxUnavailableError('cgroup v2 has no io controller', 'controller:io'));
    await assert.rejects(
      openLauncher(defaultConfig({ dataDir: dataDir.path }), logger, failing),
      (error: unknown) => {
        assert.ok(error instanceof ServerStartError);
        assert.match(error.message, /cgroup v2 has no io controller \(missing: controller:io\)/);
        assert.match(error.message, /--unsafe-no-sandbox/);
        return true;
      },
    );
  });

  it('hides the TLS and data directories and the config file from every job', async () => {
    const seen: SandboxOptions[] = [];
    const capturing = (options: SandboxOptions) => {
      seen.push(options);
      return Promise.reject(new SandboxUnavailableError('stop here', 'test'));
    };
    const config = defaultConfig({ dataDir: dataDir.path, tlsDir: '/etc/wn-test/tls' });
    await assert.rejects(
      openLauncher(config, createLogger('silent'), capturing, '/etc/wn-test/config.json'),
      ServerStartError,
    );
    assert.deepEqual(seen[0]?.maskedPaths, ['/etc/wn-test/tls', dataDir.path, '/etc/wn-test/config.json']);
  });

  it('uses the process-group launcher with --unsafe-no-sandbox, and says so loudly', async () => {
    const lines: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }),
    );
    const opened = await openLauncher(defaultConfig({ unsafeNoSandbox: true }), logger, () => never());
    assert.equal(opened.launcher.constructor.name, 'ProcessGroupLauncher');
    assert.match(lines.join(''), /UNSAFE/);
  });
});
