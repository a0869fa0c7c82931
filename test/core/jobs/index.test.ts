import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import {
  getJobDefinition,
  isJobType,
  jobDefinitions,
  validateJobArguments,
} from '../../../src/core/jobs/index.js';
import { JOB_TYPES, type JobArguments } from '../../../src/core/types.js';

const untyped = (value: unknown): JobArguments => value as JobArguments;

describe('job registry', () => {
  it('has a definition for every job type, under its own type', () => {
    assert.deepEqual(Object.keys(jobDefinitions).sort(), [...JOB_TYPES].sort());
    for (const type of JOB_TYPES) assert.equal(getJobDefinition(type).type, type);
  });

  it('names the job types as people see them', () => {
    const names = Object.fromEntries(JOB_TYPES.map((type) => [type, getJobDefinition(type).displayName]));
    assert.deepEqual(names, {
      noop: 'Noop',
      fibonacci: 'Fibonacci',
      'expression-evaluator': 'Expression Evaluator',
      'wait-then-send': 'Wait Then Send',
      command: 'Command',
    });
  });

  it('runs every type in the job process except command', () => {
    for (const type of JOB_TYPES)
      assert.equal(getJobDefinition(type).run === undefined, type === 'command', type);
  });

  it('knows its job types', () => {
    assert.equal(isJobType('fibonacci'), true);
    assert.equal(isJobType('toString'), false);
    assert.equal(isJobType(1), false);
  });
});

describe('validateJobArguments', () => {
  it("dispatches to the type's own validation", () => {
    assert.deepEqual(validateJobArguments(untyped({ type: 'fibonacci', position: 3, extra: 1 })), {
      type: 'fibonacci',
      position: 3,
    });
    assert.deepEqual(validateJobArguments({ type: 'noop' }), { type: 'noop' });
    assert.throws(
      () => validateJobArguments(untyped({ type: 'wait-then-send', url: 'ftp://x/', waitSeconds: 1 })),
      (error) => error instanceof InvalidArgumentError && error.field === 'url',
    );
    assert.throws(
      () => validateJobArguments(untyped({ type: 'expression-evaluator', expression: 'a.b', variables: {} })),
      (error) => error instanceof InvalidArgumentError && error.field === 'expression',
    );
    assert.throws(
      () => validateJobArguments(untyped({ type: 'command', executable: '' })),
      (error) => error instanceof InvalidArgumentError && error.field === 'executable',
    );
  });

  for (const type of ['shell', 'toString', '__proto__', undefined, 3]) {
    it(`refuses the type ${String(type)}`, () => {
      assert.throws(
        () => validateJobArguments(untyped({ type })),
        (error) =>
          error instanceof InvalidArgumentError &&
          error.field === 'type' &&
          error.message.includes(
            'must be one of noop, fibonacci, expression-evaluator, wait-then-send, command',
          ),
      );
    });
  }

  for (const value of [null, 'fibonacci', [{ type: 'noop' }], 42]) {
    it(`refuses ${JSON.stringify(value)} as arguments`, () => {
      assert.throws(
        () => validateJobArguments(untyped(value)),
        (error) => error instanceof InvalidArgumentError && error.field === 'args',
      );
    });
  }
});
