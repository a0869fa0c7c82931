// Fails when src/gen is not what `buf generate` makes from proto/ (someone edited the .proto and
// forgot to regenerate, or edited generated code by hand).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'workernator-gen-'));

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

try {
  execFileSync(join(root, 'node_modules/.bin/buf'), ['generate', '--output', out], {
    cwd: root,
    stdio: 'inherit',
  });
  const fresh = files(join(out, 'src/gen'))
    .map((f) => relative(join(out, 'src/gen'), f))
    .sort();
  const committed = files(join(root, 'src/gen'))
    .map((f) => relative(join(root, 'src/gen'), f))
    .sort();
  const stale = [
    ...fresh.filter((f) => !committed.includes(f)).map((f) => `missing: src/gen/${f}`),
    ...committed.filter((f) => !fresh.includes(f)).map((f) => `not generated: src/gen/${f}`),
    ...fresh
      .filter((f) => committed.includes(f))
      .filter((f) => !readFileSync(join(out, 'src/gen', f)).equals(readFileSync(join(root, 'src/gen', f))))
      .map((f) => `differs: src/gen/${f}`),
  ];
  if (stale.length > 0) {
    console.error(
      `src/gen is stale; run \`npm run generate\` and commit the result:\n  ${stale.join('\n  ')}`,
    );
    process.exit(1);
  }
  console.log(`src/gen is fresh (${fresh.length} files)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
