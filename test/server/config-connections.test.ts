/**
 * The connection settings: connectionIdleTimeout, handshakeTimeout, keepaliveInterval and
 * keepaliveTimeout, from every source, with their bounds. What they do to connections is tested in
 * test/hardening/connections.test.ts and test/hardening/vanished-client.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type ConfigSources } from '../../src/server/config/load-config.js';
import { SETTINGS } from '../../src/server/config/settings.js';
import { ConfigError } from '../../src/server/errors.js';

describe('connection settings', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'workernator-config-connections-'));
    file = join(dir, 'workernatord.json');
    await writeFile(
      file,
      JSON.stringify({
        connectionIdleTimeout: '10m',
        handshakeTimeout: '20s',
        keepaliveInterval: '2m',
        keepaliveTimeout: '30s',
      }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const load = (sources: Partial<ConfigSources>) => loadConfig({ flags: {}, env: {}, cwd: dir, ...sources });
  const fails = (sources: Partial<ConfigSources>, message: RegExp) =>
    assert.rejects(
      load(sources),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
      `expected ${message}`,
    );

  it('defaults to an idle timeout of 5 minutes and a handshake timeout of 10 seconds', async () => {
    const config = await load({});
    assert.equal(config.connectionIdleTimeout, 5 * 60_000);
    assert.equal(config.handshakeTimeout, 10_000);
  });

  it('takes the idle timeout from a flag over an env var over the file', async () => {
    assert.equal((await load({ configFile: file })).connectionIdleTimeout, 10 * 60_000);
    const fromEnv = await load({ configFile: file, env: { WORKERNATORD_CONNECTION_IDLE_TIMEOUT: '2m' } });
    assert.equal(fromEnv.connectionIdleTimeout, 2 * 60_000);
    assert.equal(fromEnv.handshakeTimeout, 20_000);
    const fromFlag = await load({
      configFile: file,
      env: { WORKERNATORD_CONNECTION_IDLE_TIMEOUT: '2m' },
      flags: { connectionIdleTimeout: '90s' },
    });
    assert.equal(fromFlag.connectionIdleTimeout, 90_000);
    assert.equal(SETTINGS.connectionIdleTimeout.flag, '--connection-idle-timeout <duration>');
  });

  it('accepts the bounds themselves', async () => {
    assert.equal((await load({ flags: { connectionIdleTimeout: '1s' } })).connectionIdleTimeout, 1_000);
    assert.equal(
      (await load({ flags: { connectionIdleTimeout: '24d' } })).connectionIdleTimeout,
      24 * 86_400_000,
    );
    assert.equal((await load({ flags: { handshakeTimeout: '100ms' } })).handshakeTimeout, 100);
  });

  it('refuses an idle timeout under 1 s or over 24 days, and a handshake timeout of 0', async () => {
    await fails(
      { flags: { connectionIdleTimeout: '500ms' } },
      /^--connection-idle-timeout: must be from 1s to 24d, not "500ms"/,
    );
    await fails(
      { env: { WORKERNATORD_CONNECTION_IDLE_TIMEOUT: '25d' } },
      /^WORKERNATORD_CONNECTION_IDLE_TIMEOUT: must be from 1s to 24d, not "25d"/,
    );
    await fails(
      { flags: { connectionIdleTimeout: '300' } },
      /^--connection-idle-timeout: must be a duration with a unit/,
    );
    // Node reads a handshake timeout of 0 as none at all.
    await fails(
      { flags: { handshakeTimeout: '0s' } },
      /^--handshake-timeout: must be from 100ms to 24d, not "0s"/,
    );
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ connectionIdleTimeout: 300 }));
    await fails(
      { configFile: bad },
      /"connectionIdleTimeout" in .*bad\.json: must be a duration with a unit/,
    );
  });

  it('defaults to a keepalive ping every minute, answered within 20 seconds', async () => {
    const config = await load({});
    assert.equal(config.keepaliveInterval, 60_000);
    assert.equal(config.keepaliveTimeout, 20_000);
    assert.equal(SETTINGS.keepaliveInterval.flag, '--keepalive-interval <duration>');
    assert.equal(SETTINGS.keepaliveTimeout.flag, '--keepalive-timeout <duration>');
    assert.equal(SETTINGS.keepaliveInterval.env, 'WORKERNATORD_KEEPALIVE_INTERVAL');
    assert.equal(SETTINGS.keepaliveTimeout.env, 'WORKERNATORD_KEEPALIVE_TIMEOUT');
  });

  it('takes the keepalive settings from a flag over an env var over the file', async () => {
    const fromFile = await load({ configFile: file });
    assert.equal(fromFile.keepaliveInterval, 2 * 60_000);
    assert.equal(fromFile.keepaliveTimeout, 30_000);
    const env = { WORKERNATORD_KEEPALIVE_INTERVAL: '45s', WORKERNATORD_KEEPALIVE_TIMEOUT: '10s' };
    const fromEnv = await load({ configFile: file, env });
    assert.equal(fromEnv.keepaliveInterval, 45_000);
    assert.equal(fromEnv.keepaliveTimeout, 10_000);
    const fromFlag = await load({
      configFile: file,
      env,
      flags: { keepaliveInterval: '30s', keepaliveTimeout: '5s' },
    });
    assert.equal(fromFlag.keepaliveInterval, 30_000);
    assert.equal(fromFlag.keepaliveTimeout, 5_000);
    // One source per setting: a flag for one leaves the other to the env var.
    const mixed = await load({ configFile: file, env, flags: { keepaliveTimeout: '3s' } });
    assert.equal(mixed.keepaliveInterval, 45_000);
    assert.equal(mixed.keepaliveTimeout, 3_000);
  });

  it('accepts the keepalive bounds themselves', async () => {
    const low = await load({ flags: { keepaliveInterval: '1s', keepaliveTimeout: '1000ms' } });
    assert.equal(low.keepaliveInterval, 1_000);
    assert.equal(low.keepaliveTimeout, 1_000);
    const high = await load({ flags: { keepaliveInterval: '24d', keepaliveTimeout: '24d' } });
    assert.equal(high.keepaliveInterval, 24 * 86_400_000);
    assert.equal(high.keepaliveTimeout, 24 * 86_400_000);
    // grpc-js pings only below 2^31 - 1 ms; the longest interval allowed is below that.
    assert.ok(high.keepaliveInterval < 2 ** 31 - 1);
  });

  it('refuses a keepalive interval or timeout under 1 s, over 24 days, or without a unit', async () => {
    await fails(
      { flags: { keepaliveInterval: '999ms' } },
      /^--keepalive-interval: must be from 1s to 24d, not "999ms"/,
    );
    await fails({ flags: { keepaliveInterval: '0s' } }, /^--keepalive-interval: must be from 1s to 24d/);
    await fails(
      { env: { WORKERNATORD_KEEPALIVE_INTERVAL: '25d' } },
      /^WORKERNATORD_KEEPALIVE_INTERVAL: must be from 1s to 24d, not "25d"/,
    );
    await fails(
      { flags: { keepaliveTimeout: '500ms' } },
      /^--keepalive-timeout: must be from 1s to 24d, not "500ms"/,
    );
    await fails(
      { env: { WORKERNATORD_KEEPALIVE_TIMEOUT: '60' } },
      /^WORKERNATORD_KEEPALIVE_TIMEOUT: must be a duration with a unit/,
    );
    const bad = join(dir, 'bad-keepalive.json');
    await writeFile(bad, JSON.stringify({ keepaliveInterval: 60 }));
    await fails(
      { configFile: bad },
      /"keepaliveInterval" in .*bad-keepalive\.json: must be a duration with a unit/,
    );
    await writeFile(bad, JSON.stringify({ keepaliveTimeout: '-1s' }));
    await fails(
      { configFile: bad },
      /"keepaliveTimeout" in .*bad-keepalive\.json: must be a duration with a unit/,
    );
  });

  it('needs a restart to change (SIGHUP leaves it as it was)', () => {
    assert.notEqual(SETTINGS.connectionIdleTimeout.reloadable, true);
    assert.notEqual(SETTINGS.handshakeTimeout.reloadable, true);
    // grpc-js reads its channel options once, when the server is built.
    assert.notEqual(SETTINGS.keepaliveInterval.reloadable, true);
    assert.notEqual(SETTINGS.keepaliveTimeout.reloadable, true);
  });
});
