// Builds everything a fresh checkout needs to run: the TypeScript to dist/, the job runner bundle
// (one self-contained file, so the sandbox can hand it to a job that cannot read the install
// directory), and the C shim. `npm ci` runs this through the `prepare` script.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

rmSync(join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);

const runnerEntry = join(root, 'src/core/jobs/runner.ts');
if (existsSync(runnerEntry)) {
  await build({
    entryPoints: [runnerEntry],
    outfile: join(root, 'dist/job-runner.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    legalComments: 'none',
  });
}

if (existsSync(join(root, 'native/Makefile'))) run('make', ['-s', '-C', 'native']);

for (const bin of ['dist/cli/main.js', 'dist/server/main.js']) {
  if (existsSync(join(root, bin))) chmodSync(join(root, bin), 0o755);
}
