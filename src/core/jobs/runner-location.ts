import { fileURLToPath } from 'node:url';

/**
 * Path of the bundled job runner, `<package root>/dist/job-runner.mjs`. This module sits three
 * levels below the package root both as source (src/core/jobs/) and when built (dist/core/jobs/).
 */
export function runnerBundlePath(): string {
  return fileURLToPath(new URL('../../../dist/job-runner.mjs', import.meta.url));
}
