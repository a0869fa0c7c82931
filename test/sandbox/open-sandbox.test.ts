import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { SandboxUnavailableError } from '../../src/sandbox/errors.js';
import { openSandbox } from '../../src/sandbox/index.js';

it('refuses to open without the shim, naming it', async () => {
  await assert.rejects(
    openSandbox({ dataDir: '/tmp', shimPath: '/nonexistent/workernator-shim' }),
    (error: unknown) =>
      error instanceof SandboxUnavailableError &&
      error.missing === 'shim' &&
      error.message ===
        'the sandbox shim is missing: /nonexistent/workernator-shim (build it with `npm run build`)',
  );
});

it('refuses to open without root, saying why', () => {
  // The same code, run as nobody.
  const script = [
    "const { openSandbox } = await import('./src/sandbox/index.ts');",
    "await openSandbox({ dataDir: '/tmp' }).then(() => console.log('opened'), (e) => console.log(e.missing, e.message));",
  ].join('\n');
  const result = spawnSync(
    'setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      process.execPath,
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ],
    { encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^root the sandbox needs root: it creates cgroups and namespaces/);
});
