/**
 * Entry point of a built-in job's process, bundled to dist/job-runner.mjs. The launcher runs it as
 * `node dist/job-runner.mjs '<json>'`, or pipes the bundle to `node --input-type=module - '<json>'`
 * when the job cannot read the install directory. Keep its imports to src/core/jobs and the core
 * types and errors: everything imported here ends up in every job's process.
 */
import type { Writable } from 'node:stream';
import { main } from './run-built-in-job.js';

function flushed(stream: Writable): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

const exitCode = await main(process.argv);
// process.exit does not wait for pending writes to a pipe; the job's last lines must not be lost.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(exitCode);
