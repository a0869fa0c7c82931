import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeStartFailure, parseShimStatus } from '../../src/sandbox/shim-protocol.js';

describe('parseShimStatus', () => {
  it('reads running, exit and signal lines', () => {
    assert.deepEqual(parseShimStatus('running 42'), { kind: 'running', pid: 42 });
    assert.deepEqual(parseShimStatus('exit 3'), { kind: 'exit', code: 3 });
    assert.deepEqual(parseShimStatus('signal 9'), { kind: 'signal', signal: 'SIGKILL' });
  });

  it('reads an error line, decodes its detail and says whose fault the step is', () => {
    assert.deepEqual(parseShimStatus('error exec 2 /usr/bin/no%20pe'), {
      kind: 'error',
      step: 'exec',
      errno: 2,
      detail: '/usr/bin/no pe',
      causedByRequest: true,
    });
    for (const step of ['exec', 'open-exec', 'chdir']) {
      assert.equal(parseShimStatus(`error ${step} 2`)?.kind, 'error');
      assert.deepEqual(parseShimStatus(`error ${step} 13 x`), {
        kind: 'error',
        step,
        errno: 13,
        detail: 'x',
        causedByRequest: true,
      });
    }
    for (const step of ['mount-proc', 'cgroup', 'user', 'setuid', 'unshare']) {
      assert.deepEqual(parseShimStatus(`error ${step} 1`), {
        kind: 'error',
        step,
        errno: 1,
        detail: '',
        causedByRequest: false,
      });
    }
  });

  it('skips lines that are not part of the protocol', () => {
    for (const line of ['', 'hello', 'running', 'running x', 'error', 'error exec x', 'exit 1.5x']) {
      assert.equal(parseShimStatus(line), undefined, line);
    }
  });
});

describe('describeStartFailure', () => {
  it('says what a person can act on', () => {
    assert.equal(describeStartFailure('exec', 2, '/usr/bin/nope'), 'executable not found: /usr/bin/nope');
    assert.equal(
      describeStartFailure('chdir', 20, '/etc/passwd'),
      'working directory is not a directory: /etc/passwd',
    );
    assert.equal(
      describeStartFailure('mount-proc', 1, ''),
      'sandbox setup failed at step mount-proc: operation not permitted (EPERM)',
    );
  });
});
