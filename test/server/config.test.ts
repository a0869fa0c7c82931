/** Settings from flags, env vars, a config file and defaults: precedence, parsing, clear errors. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/server/errors.js';
import { loadConfig, type ConfigSources } from '../../src/server/config/load-config.js';
import { SETTINGS } from '../../src/server/config/settings.js';

describe('loadConfig', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'workernator-config-'));
    file = join(dir, 'workernatord.json');
    await writeFile(
      file,
      JSON.stringify({
        listen: '0.0.0.0:7000',
        dataDir: 'data',
        logLevel: 'debug',
        jobMaxima: { cpu: 2000, memory: '1GiB' },
        allowedUrlPrefixes: ['https://hooks.example.com'],
        retentionMaxAge: '7d',
      }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const load = (sources: Partial<ConfigSources>) =>
    loadConfig({ flags: {}, env: {}, cwd: '/work', ...sources });

  it('uses the defaults when nothing is given', async () => {
    const config = await load({});
    assert.equal(config.listen, '127.0.0.1:50051');
    assert.equal(config.stopGrace, 10_000);
    assert.equal(config.unsafeNoSandbox, false);
    assert.deepEqual(config.jobMaxima, {});
    assert.deepEqual(config.jobDefaults, { cpuMillicores: 1000, memoryBytes: 512 * 1024 ** 2, pids: 1024 });
  });

  it('reads the config file, resolving its relative paths against its own directory', async () => {
    const config = await load({ configFile: file });
    assert.equal(config.listen, '0.0.0.0:7000');
    assert.equal(config.dataDir, join(dir, 'data'));
    assert.equal(config.logLevel, 'debug');
    assert.deepEqual(config.jobMaxima, { cpuMillicores: 2000, memoryBytes: 1024 ** 3 });
    assert.deepEqual(config.allowedUrlPrefixes, ['https://hooks.example.com/']);
    assert.equal(config.retentionMaxAge, 7 * 86_400_000);
  });

  it('ranks flags over env vars over the file over defaults, setting by setting', async () => {
    const config = await load({
      configFile: file,
      env: {
        WORKERNATORD_LISTEN: '127.0.0.1:8000',
        WORKERNATORD_LOG_LEVEL: 'warn',
        WORKERNATORD_JOB_MAXIMA: 'pids=50',
      },
      flags: {
        listen: '127.0.0.1:9000',
        jobDefaults: ['cpu=100', 'memory=64MiB'],
        denyCommandJobsForUsers: true,
      },
    });
    assert.equal(config.listen, '127.0.0.1:9000');
    assert.equal(config.logLevel, 'warn');
    // A setting is taken whole from one source: the env's maxima replace the file's.
    assert.deepEqual(config.jobMaxima, { pids: 50 });
    assert.deepEqual(config.jobDefaults, { cpuMillicores: 100, memoryBytes: 64 * 1024 ** 2 });
    assert.equal(config.denyCommandJobsForUsers, true);
    assert.equal(config.dataDir, join(dir, 'data'));
  });

  it('names the setting, as written, in every error', async () => {
    const fails = async (sources: Partial<ConfigSources>, message: RegExp) => {
      await assert.rejects(
        load(sources),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      );
    };
    await fails({ flags: { listen: 'localhost' } }, /^--listen: must be host:port/);
    await fails(
      { env: { WORKERNATORD_STOP_GRACE: '10' } },
      /^WORKERNATORD_STOP_GRACE: must be a duration with a unit/,
    );
    await fails(
      { env: { WORKERNATORD_JOB_DEFAULTS: 'ram=1G' } },
      /unknown limit "ram"; the limits are cpu, memory/,
    );
    await fails({ flags: { outputCap: '12 parsecs' } }, /^--output-cap: must be a byte count/);
    await fails(
      { flags: { allowedUrlPrefixes: ['ftp://x/'] } },
      /^--allowed-url-prefix: item 1: must use http or https/,
    );
    await fails({ env: { WORKERNATORD_UNSAFE_NO_SANDBOX: 'maybe' } }, /must be true or false/);
    await fails(
      { flags: { jobDefaults: ['memory=2GiB'], jobMaxima: ['memory=1GiB'] } },
      /default memory 2 GiB is above its cap of 1 GiB/,
    );
    await fails({ configFile: join(dir, 'missing.json') }, /cannot read it/);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"listen": "127.0.0.1:1", "lisen": 1}');
    await fails({ configFile: bad }, /unknown setting "lisen"; the settings are listen, dataDir/);
    await writeFile(bad, '{"dataDir": 5}');
    await fails({ configFile: bad }, /"dataDir" in .*bad.json: must be a non-empty string, not 5/);
    await writeFile(bad, '[1]');
    await fails({ configFile: bad }, /must hold a JSON object/);
  });

  it("lowers the built-in job defaults to caps the operator set, but not the operator's own defaults", async () => {
    const capped = await load({ flags: { jobMaxima: ['memory=256MiB'] } });
    assert.deepEqual(capped.jobDefaults, { cpuMillicores: 1000, memoryBytes: 256 * 1024 ** 2, pids: 1024 });
    await assert.rejects(
      loadConfig({
        cwd: dir,
        flags: { jobDefaults: ['memory=512MiB'], jobMaxima: ['memory=256MiB'] },
        env: {},
      }),
      /default memory 512 MiB is above its cap of 256 MiB/,
    );
  });

  it('derives every env var name from the setting', () => {
    for (const setting of Object.values(SETTINGS)) assert.match(setting.env, /^WORKERNATORD_[A-Z_]+$/);
  });
});
