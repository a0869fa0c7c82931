import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTls } from '../../src/cli/connection/open.js';
import { DEFAULT_HOST, defaultConfigPath, resolveConnection } from '../../src/cli/connection/settings.js';
import { FileError } from '../../src/cli/errors.js';

describe('connection settings', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'workernator-cli-'));
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({ host: 'config:1', ca: 'ca.crt', cert: '/abs/c.crt' }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const devTlsDir = '/repo/.dev/tls';

  it('defaults to localhost:50051 and the development PKI', async () => {
    const s = await resolveConnection({
      flags: {},
      env: { XDG_CONFIG_HOME: dir + '/none' },
      cwd: '/work',
      devTlsDir,
    });
    assert.equal(s.host.value, DEFAULT_HOST);
    assert.equal(s.ca.value, '/repo/.dev/tls/server-ca.crt');
    assert.equal(s.cert.value, '/repo/.dev/tls/clients/admin.crt');
    assert.equal(s.key.value, '/repo/.dev/tls/clients/admin.key');
    assert.equal(s.ca.isDefault, true);
  });

  it('takes flags over env over the config file over defaults', async () => {
    const config = join(dir, 'config.json');
    const env = { WORKERNATOR_CONFIG: config, WORKERNATOR_HOST: 'env:2', WORKERNATOR_CA: 'env-ca.crt' };
    const s = await resolveConnection({ flags: { ca: 'flag-ca.crt' }, env, cwd: '/work', devTlsDir });
    assert.deepEqual(
      [s.host, s.ca, s.cert, s.key].map((v) => [v.value, v.origin]),
      [
        ['env:2', 'WORKERNATOR_HOST'],
        ['/work/flag-ca.crt', '--ca'],
        ['/abs/c.crt', `"cert" in the config file ${config}`],
        [
          '/repo/.dev/tls/clients/admin.key',
          "the default: the development PKI that 'npm start' creates, in /repo/.dev/tls",
        ],
      ],
    );
    const fromConfig = await resolveConnection({ flags: { config }, env: {}, cwd: '/work', devTlsDir });
    assert.equal(fromConfig.host.value, 'config:1');
    // Relative paths in the config file are relative to the file.
    assert.equal(fromConfig.ca.value, join(dir, 'ca.crt'));
  });

  it('reads the default config file from XDG_CONFIG_HOME, and WORKERNATOR_TLS_DIR moves the defaults', async () => {
    assert.equal(defaultConfigPath({ XDG_CONFIG_HOME: '/x' }), '/x/workernator/config.json');
    const s = await resolveConnection({
      flags: {},
      env: { XDG_CONFIG_HOME: '/nonexistent', WORKERNATOR_TLS_DIR: '/tls' },
      cwd: '/',
      devTlsDir,
    });
    assert.equal(s.cert.value, '/tls/clients/admin.crt');
  });

  it('a named config file must exist, be JSON and have known keys only', async () => {
    await assert.rejects(
      resolveConnection({ flags: { config: join(dir, 'missing.json') }, env: {}, cwd: '/', devTlsDir }),
      (e: Error) =>
        e instanceof FileError && /missing.json \(from --config\) does not exist$/.test(e.message),
    );
    await writeFile(join(dir, 'typo.json'), '{"hots": "x"}');
    await assert.rejects(
      resolveConnection({ flags: { config: join(dir, 'typo.json') }, env: {}, cwd: '/', devTlsDir }),
      /unknown key "hots"/,
    );
    await writeFile(join(dir, 'bad.json'), '{');
    await assert.rejects(
      resolveConnection({ flags: { config: join(dir, 'bad.json') }, env: {}, cwd: '/', devTlsDir }),
      /is not valid JSON/,
    );
  });

  it('a missing TLS file names the file and the setting; a default one says how to create it', async () => {
    const flagged = await resolveConnection({
      flags: { ca: '/nope/ca.crt' },
      env: { XDG_CONFIG_HOME: '/nonexistent' },
      cwd: '/',
      devTlsDir,
    });
    await assert.rejects(loadTls(flagged), {
      message: 'the server CA certificate /nope/ca.crt (from --ca) does not exist',
    });
    const defaults = await resolveConnection({
      flags: {},
      env: { XDG_CONFIG_HOME: '/nonexistent' },
      cwd: '/',
      devTlsDir,
    });
    await assert.rejects(
      loadTls(defaults),
      /run 'npm start' once to create the development PKI, or pass --ca, --cert and --key$/,
    );
  });
});
