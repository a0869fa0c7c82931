import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { noopJob } from '../../../src/core/jobs/noop.js';
import type { NoopArguments } from '../../../src/core/types.js';
import { CapturedOutput } from './job-output.js';

describe('noop job', () => {
  it('is named Noop', () => {
    assert.equal(noopJob.type, 'noop');
    assert.equal(noopJob.displayName, 'Noop');
  });

  it('validates to bare arguments, dropping unknown fields', () => {
    const args = { type: 'noop', extra: 1 } as unknown as NoopArguments;
    assert.deepEqual(noopJob.validate(args), { type: 'noop' });
  });

  it('refuses arguments of another type', () => {
    assert.throws(
      () => noopJob.validate({ type: 'fibonacci' } as unknown as NoopArguments),
      (error) => error instanceof InvalidArgumentError && error.field === 'type',
    );
  });

  it('prints nothing and exits 0', async () => {
    const out = new CapturedOutput();
    assert.equal(await noopJob.run?.({ type: 'noop' }, out), 0);
    assert.equal(out.text, '');
  });
});
