/**
 * The server's configuration from its four sources, per setting: a flag wins over an env var, which
 * wins over the config file, which wins over the default. A setting is taken whole from one source
 * (jobMaxima from a flag replaces jobMaxima from the file; it is not merged limit by limit). Every
 * value is validated; the first bad one throws ConfigError naming the setting as it was written.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { WorkernatorError } from '../../core/errors.js';
import { RESOURCE_LIMIT_KEYS, type ResourceLimits } from '../../core/types.js';
import { applyLimitPolicy } from '../../sandbox/cgroups/limit-policy.js';
import { ConfigError } from '../errors.js';
import { SETTINGS, SETTING_LIST, type ServerConfig, type Setting } from './settings.js';

export interface ConfigSources {
  /** Flag values by setting key, as commander parsed them (strings, string lists, booleans); absent when not given. */
  readonly flags: Readonly<Partial<Record<keyof ServerConfig, unknown>>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The config file, from --config or WORKERNATORD_CONFIG. */
  readonly configFile?: string | undefined;
  /** Relative paths from flags and env vars are resolved against this. */
  readonly cwd: string;
}

function flagName(setting: Setting<keyof ServerConfig>): string {
  return setting.flag.split(' ')[0]!;
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError('config', `--config ${path}`, `cannot read it: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('config', `--config ${path}`, `not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(
      'config',
      `--config ${path}`,
      'must hold a JSON object of settings, such as {"listen": "127.0.0.1:50051"}',
    );
  }
  const unknown = Object.keys(parsed).filter((key) => !Object.hasOwn(SETTINGS, key));
  if (unknown.length > 0) {
    throw new ConfigError(
      'config',
      `--config ${path}`,
      `unknown setting ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the settings are ${Object.keys(SETTINGS).join(', ')}`,
    );
  }
  return parsed as Record<string, unknown>;
}

/** A flag given several times arrives as a list: the parsers read its comma-joined form, like an env var. */
function flagValue(value: unknown): unknown {
  return Array.isArray(value) ? value.join(',') : value;
}

export async function loadConfig(sources: ConfigSources): Promise<ServerConfig> {
  const file = sources.configFile === undefined ? undefined : resolve(sources.cwd, sources.configFile);
  const fromFile = file === undefined ? {} : await readConfigFile(file);
  const config: Record<string, unknown> = {};
  let builtInDefaults = false;

  for (const setting of SETTING_LIST) {
    const flag = sources.flags[setting.key];
    const envValue = sources.env[setting.env];
    let raw: unknown;
    let where: string;
    let baseDir = sources.cwd;
    if (flag !== undefined) {
      raw = flagValue(flag);
      where = flagName(setting);
    } else if (envValue !== undefined && envValue !== '') {
      raw = envValue;
      where = setting.env;
    } else if (file !== undefined && Object.hasOwn(fromFile, setting.key)) {
      raw = fromFile[setting.key];
      where = `${JSON.stringify(setting.key)} in ${file}`;
      baseDir = dirname(file);
    } else {
      config[setting.key] = setting.default;
      if (setting.key === 'jobDefaults') builtInDefaults = true;
      continue;
    }
    try {
      config[setting.key] = setting.parse(raw, { baseDir });
    } catch (error) {
      throw new ConfigError(setting.key, where, (error as Error).message);
    }
  }
  const result = config as unknown as ServerConfig;
  // The built-in defaults yield to the operator's caps: setting only --job-max memory=256MiB must
  // not make the server refuse to start because the built-in default is 512 MiB.
  const checked = builtInDefaults
    ? { ...result, jobDefaults: clampToMaxima(result.jobDefaults, result.jobMaxima) }
    : result;
  checkLimits(checked);
  return checked;
}

function clampToMaxima(defaults: ResourceLimits, maxima: ResourceLimits): ResourceLimits {
  const clamped: Record<string, number | undefined> = { ...defaults };
  for (const key of RESOURCE_LIMIT_KEYS) {
    const cap = maxima[key];
    const value = clamped[key];
    if (cap !== undefined && value !== undefined && value > cap) clamped[key] = cap;
  }
  return clamped;
}

/** Defaults above their caps (or not usable as limits) would refuse every job: say so at start instead. */
function checkLimits(config: ServerConfig): void {
  try {
    applyLimitPolicy({}, config.jobDefaults, config.jobMaxima);
  } catch (error) {
    if (!(error instanceof WorkernatorError)) throw error;
    throw new ConfigError('jobDefaults', 'job limits (--job-default, --job-max)', error.message);
  }
}
