import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { COMMAND_LIMITS, commandJob } from '../../../src/core/jobs/command.js';
import type { CommandArguments } from '../../../src/core/types.js';

const command = (fields: Record<string, unknown>): CommandArguments =>
  ({ type: 'command', executable: '/bin/echo', args: [], env: {}, ...fields }) as unknown as CommandArguments;

function assertInvalid(input: CommandArguments, field: string, reason: RegExp): void {
  assert.throws(
    () => commandJob.validate(input),
    (error) => {
      assert.ok(error instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.match(error.message, reason);
      return true;
    },
  );
}

describe('command job', () => {
  it('is named Command and is not built in', () => {
    assert.equal(commandJob.displayName, 'Command');
    assert.equal('run' in commandJob, false);
  });

  it('accepts a full command and returns it without unknown fields', () => {
    const input = command({
      executable: 'ls',
      args: ['-l', '--', 'a file', ''],
      env: { PATH: '/usr/bin:/bin', EMPTY: '', LANG: 'C.UTF-8' },
      workingDir: '/tmp/work',
      extra: true,
    });
    assert.deepEqual(commandJob.validate(input), {
      type: 'command',
      executable: 'ls',
      args: ['-l', '--', 'a file', ''],
      env: { PATH: '/usr/bin:/bin', EMPTY: '', LANG: 'C.UTF-8' },
      workingDir: '/tmp/work',
    });
  });

  it('reads absent args and env as empty and an empty working directory as none', () => {
    const validated = commandJob.validate({
      type: 'command',
      executable: 'true',
      workingDir: '',
    } as CommandArguments);
    assert.deepEqual(validated, { type: 'command', executable: 'true', args: [], env: {} });
    assert.equal('workingDir' in validated, false);
  });

  it('keeps a __proto__ variable as a plain name', () => {
    const env: unknown = JSON.parse('{"__proto__": "x", "A": "1"}');
    const validated = commandJob.validate(command({ env }));
    assert.deepEqual(Object.entries(validated.env), [
      ['__proto__', 'x'],
      ['A', '1'],
    ]);
    assert.equal(Object.getPrototypeOf(validated.env), Object.prototype);
  });

  it('accepts the root and normalized absolute working directories', () => {
    assert.equal(commandJob.validate(command({ workingDir: '/' })).workingDir, '/');
    assert.equal(commandJob.validate(command({ workingDir: '/var/lib/x y' })).workingDir, '/var/lib/x y');
  });

  describe('refuses', () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['an empty executable', { executable: '' }, 'executable', /must not be empty/],
      ['a missing executable', { executable: undefined }, 'executable', /must be a string/],
      ['a NUL in the executable', { executable: '/bin/sh\0-c' }, 'executable', /NUL/],
      ['a 4096-byte executable', { executable: `/${'a'.repeat(4095)}` }, 'executable', /at most 4095 bytes/],
      ['args that are not a list', { args: 'ls -l' }, 'args', /must be a list of strings/],
      ['an argument that is not a string', { args: ['a', 1] }, 'args[1]', /must be a string, got 1/],
      ['a NUL in an argument', { args: ['ok', 'a\0b'] }, 'args[1]', /NUL/],
      ['an argument of 128 KiB', { args: ['x'.repeat(128 * 1024)] }, 'args[0]', /at most 131071 bytes/],
      ['an argument of 128 KiB in UTF-8', { args: ['é'.repeat(64 * 1024)] }, 'args[0]', /got 131072/],
      ['4097 arguments', { args: Array.from({ length: 4097 }, () => 'a') }, 'args', /at most 4096/],
      ['env that is not an object', { env: ['A=1'] }, 'env', /must be an object/],
      ['an empty variable name', { env: { '': 'x' } }, 'env', /name must not be empty/],
      ['a variable name with =', { env: { 'A=B': 'x' } }, 'env', /the name "A=B" must not contain '='/],
      ['a variable name with NUL', { env: { 'A\0': 'x' } }, 'env', /NUL/],
      ['a variable name of 256 bytes', { env: { ['A'.repeat(256)]: 'x' } }, 'env', /at most 255 bytes/],
      [
        'a variable value that is not a string',
        { env: { A: 1 } },
        'env',
        /the value of "A" must be a string/,
      ],
      ['a NUL in a variable value', { env: { A: 'a\0b' } }, 'env', /the value of "A" must not contain NUL/],
      ['a NAME=value of 128 KiB', { env: { AB: 'x'.repeat(128 * 1024 - 3) } }, 'env', /at most 131068 bytes/],
      [
        '257 variables',
        { env: Object.fromEntries(Array.from({ length: 257 }, (_, index) => [`V${index}`, ''])) },
        'env',
        /at most 256 variables/,
      ],
      [
        'more than 1 MiB of arguments and environment together',
        { args: Array.from({ length: 8 }, () => 'x'.repeat(128 * 1024 - 1)), env: { A: 'b' } },
        'args',
        /together must be at most 1048576 bytes, got 1048590/,
      ],
      ['a working directory that is not a string', { workingDir: 7 }, 'workingDir', /must be a string/],
      ['a relative working directory', { workingDir: 'tmp' }, 'workingDir', /must be an absolute path/],
      ['a working directory with ..', { workingDir: '/tmp/../etc' }, 'workingDir', /must be normalized/],
      ['a working directory with .', { workingDir: '/tmp/./x' }, 'workingDir', /must be normalized/],
      ['a working directory with //', { workingDir: '/tmp//x' }, 'workingDir', /must be normalized/],
      ['a working directory with a trailing /', { workingDir: '/tmp/' }, 'workingDir', /must be normalized/],
      ['a NUL in the working directory', { workingDir: '/tmp\0' }, 'workingDir', /NUL/],
    ];
    for (const [what, fields, field, reason] of cases) {
      it(what, () => assertInvalid(command(fields), field, reason));
    }
  });

  it('accepts exactly 1 MiB of arguments and environment together, and not a byte more', () => {
    // Counted as execve copies them: '/bin/echo' and NUL (10 bytes), each argument and its NUL, and
    // each NAME=value and its NUL.
    const args = Array.from({ length: 7 }, () => 'x'.repeat(COMMAND_LIMITS.maxStringBytes));
    const valueBytes =
      COMMAND_LIMITS.maxTotalBytes - 10 - 7 * (COMMAND_LIMITS.maxStringBytes + 1) - 'A=\0'.length;
    assert.doesNotThrow(() => commandJob.validate(command({ args, env: { A: 'b'.repeat(valueBytes) } })));
    assertInvalid(command({ args, env: { A: 'b'.repeat(valueBytes + 1) } }), 'args', /got 1048577/);
  });
});
