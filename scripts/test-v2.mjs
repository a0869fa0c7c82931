// The cgroup v2 suite (test-v2/): builds the project (unless WORKERNATOR_SKIP_BUILD=1), bundles each
// test-v2/*.test.ts and fixture-*.ts with esbuild into dist/test-v2/, rewriting every import of src/
// into an import of the compiled dist/ (so the guest runs the compiled code, and compiles nothing),
// then runs them with node's test runner inside the cgroup-v2-only guest of scripts/vm-run, one file
// at a time, with timeouts scaled by WORKERNATOR_TIME_FACTOR (10 by default) and the TAP reporter.
// Extra arguments: test files to run instead of all (e.g. test-v2/limits.test.ts).
// Exit status: the test runner's in the guest, or vm-run's (124 timeout, 125 no report from the guest).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src');
const sourceDir = join(root, 'test-v2');
const outDir = join(root, 'dist', 'test-v2');

if (process.env.WORKERNATOR_SKIP_BUILD !== '1') {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}

const entries = readdirSync(sourceDir)
  .filter((f) => f.endsWith('.test.ts') || /^fixture-.*\.ts$/.test(f))
  .map((f) => join(sourceDir, f));

/** src/x/y.js (or .ts) imported from test-v2/ -> ../x/y.js, seen from dist/test-v2/. */
const srcToDist = {
  name: 'src-to-dist',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (!target.startsWith(`${srcDir}/`)) return undefined;
      const rel = relative(srcDir, target).replace(/\.ts$/, '.js');
      return { path: `../${rel}`, external: true };
    });
  },
};

await build({
  entryPoints: entries,
  outdir: outDir,
  bundle: true, // test-v2/helpers.ts is inlined; src/ stays external, as dist/
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  plugins: [srcToDist],
  logLevel: 'warning',
});

const wanted = process.argv.slice(2).map((f) => basename(f).replace(/\.ts$/, '.js'));
const tests = readdirSync(outDir)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => wanted.length === 0 || wanted.includes(f))
  .sort()
  .map((f) => relative(root, join(outDir, f)));
if (tests.length === 0) {
  console.error(`no v2 test files match: ${process.argv.slice(2).join(' ')}`);
  process.exit(1);
}

const env = { ...process.env, WORKERNATOR_TIME_FACTOR: process.env.WORKERNATOR_TIME_FACTOR ?? '10' };
const started = Date.now();
const vm = spawn(
  join(root, 'scripts/vm-run'),
  [process.execPath, '--test', '--test-concurrency=1', '--test-reporter=tap', ...tests],
  { cwd: root, env, stdio: 'inherit' },
);
// vm-run stops its guest on INT and TERM: pass them on (Ctrl-C in a terminal reaches both anyway).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => vm.kill(signal));
const [code, signal] = await once(vm, 'exit');
const seconds = ((Date.now() - started) / 1000).toFixed(0);
console.log(
  `# v2 suite: ${tests.length} file(s), ${seconds} s in all (boot included), exit status ${code ?? signal}`,
);
process.exit(code ?? 1);
