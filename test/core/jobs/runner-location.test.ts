import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runnerBundlePath } from '../../../src/core/jobs/runner-location.js';

it('finds the bundle in dist/ at the package root', () => {
  const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
  assert.equal(runnerBundlePath(), join(packageRoot, 'dist', 'job-runner.mjs'));
});
