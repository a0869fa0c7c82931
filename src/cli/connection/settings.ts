/**
 * Where the CLI connects and with which TLS files. Each value comes from the first source that has
 * it: a flag, then an environment variable, then the config file, then the defaults, which point at
 * the development PKI `npm start` creates. Each value remembers its source, so an error about a
 * file can say which setting named it.
 */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { clientTlsPaths } from '../../pki/client-credentials.js';
import { readConfigFile, type ConfigFile } from './config-file.js';

export const DEFAULT_HOST = 'localhost:50051';

export const ENV = {
  host: 'WORKERNATOR_HOST',
  ca: 'WORKERNATOR_CA',
  cert: 'WORKERNATOR_CERT',
  key: 'WORKERNATOR_KEY',
  config: 'WORKERNATOR_CONFIG',
  tlsDir: 'WORKERNATOR_TLS_DIR',
} as const;

export interface ConnectionFlags {
  readonly host?: string | undefined;
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly config?: string | undefined;
}

export interface Sourced {
  readonly value: string;
  /** Where the value came from, for messages: "--ca", "WORKERNATOR_CA", "the config file ...". */
  readonly origin: string;
  /** The value is a default: an error about it should say how to create it or override it. */
  readonly isDefault: boolean;
}

export interface ConnectionSettings {
  readonly host: Sourced;
  readonly ca: Sourced;
  readonly cert: Sourced;
  readonly key: Sourced;
  /** The TLS directory the defaults came from, for hints. */
  readonly defaultTlsDir: string;
}

export interface ResolveInput {
  readonly flags: ConnectionFlags;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** `<repo>/.dev/tls`, found next to the CLI's own files. */
  readonly devTlsDir: string;
}

/** $XDG_CONFIG_HOME/workernator/config.json, or ~/.config/workernator/config.json. */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base =
    env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== ''
      ? env.XDG_CONFIG_HOME
      : join(homedir(), '.config');
  return join(base, 'workernator', 'config.json');
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

const nonEmpty = (value: string | undefined): value is string => value !== undefined && value !== '';

export async function resolveConnection(input: ResolveInput): Promise<ConnectionSettings> {
  const { flags, env, cwd } = input;
  const explicitConfig = nonEmpty(flags.config)
    ? { path: flags.config, origin: '--config' }
    : nonEmpty(env[ENV.config])
      ? { path: env[ENV.config] ?? '', origin: ENV.config }
      : undefined;
  const configPath = resolve(cwd, expandHome(explicitConfig?.path ?? defaultConfigPath(env)));
  // A config file named by a flag or env var must exist; the default one is optional.
  const config: ConfigFile = await readConfigFile(configPath, explicitConfig?.origin);
  const configDir = dirname(configPath);
  const inConfig = (key: string) => `"${key}" in the config file ${configPath}`;

  const tlsDir = nonEmpty(env[ENV.tlsDir])
    ? resolve(cwd, expandHome(env[ENV.tlsDir] ?? ''))
    : config.tlsDir !== undefined
      ? resolve(configDir, expandHome(config.tlsDir))
      : input.devTlsDir;
  const tlsDirOrigin = nonEmpty(env[ENV.tlsDir])
    ? ENV.tlsDir
    : config.tlsDir !== undefined
      ? inConfig('tlsDir')
      : "the default: the development PKI that 'npm start' creates";
  const defaults = clientTlsPaths(tlsDir);

  const pick = (name: 'host' | 'ca' | 'cert' | 'key', fallback: string, isPath: boolean): Sourced => {
    const asPath = (value: string, base: string) => (isPath ? resolve(base, expandHome(value)) : value);
    const flag = flags[name];
    if (nonEmpty(flag)) return { value: asPath(flag, cwd), origin: `--${name}`, isDefault: false };
    const fromEnv = env[ENV[name]];
    if (nonEmpty(fromEnv)) return { value: asPath(fromEnv, cwd), origin: ENV[name], isDefault: false };
    const fromConfig = config[name];
    if (fromConfig !== undefined)
      return { value: asPath(fromConfig, configDir), origin: inConfig(name), isDefault: false };
    const origin = name === 'host' ? 'the default' : `${tlsDirOrigin}, in ${tlsDir}`;
    return { value: fallback, origin, isDefault: name === 'host' || tlsDirOrigin.startsWith('the default') };
  };

  return {
    host: pick('host', DEFAULT_HOST, false),
    ca: pick('ca', defaults.caPath, true),
    cert: pick('cert', defaults.certPath, true),
    key: pick('key', defaults.keyPath, true),
    defaultTlsDir: tlsDir,
  };
}
