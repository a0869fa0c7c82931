// The whole test suite: builds first (the job runner bundle and the shim are used by the tests),
// then runs every test/**/*.test.ts with node's test runner through tsx. Extra arguments are test
// files or directories to run instead of all of them.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function findTests(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((name) => findTests(join(path, name)));
}

const targets = process.argv.slice(2);
const files = (targets.length > 0 ? targets.map((t) => join(process.cwd(), t)) : [join(root, 'test')])
  .flatMap(findTests)
  .map((f) => relative(root, f));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

if (process.env.WORKERNATOR_SKIP_BUILD !== '1') {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}

const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
