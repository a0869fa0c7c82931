/**
 * The CLI's config file: JSON `{ "host", "ca", "cert", "key", "tlsDir" }`, every key optional.
 * Unknown keys are refused, so a typo ("hots") is an error rather than a silently ignored setting.
 */
import { readFile } from 'node:fs/promises';
import { FileError, PermissionError } from '../errors.js';

export interface ConfigFile {
  readonly host?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly tlsDir?: string;
}

const KEYS = ['host', 'ca', 'cert', 'key', 'tlsDir'] as const;

function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Reads the file; a missing file is `{}` unless `requiredBy` names the setting that asked for it. */
export async function readConfigFile(path: string, requiredBy: string | undefined): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' && requiredBy === undefined) return {};
    const from = requiredBy !== undefined ? ` (from ${requiredBy})` : '';
    if (code === 'ENOENT') throw new FileError(`the config file ${path}${from} does not exist`);
    if (code === 'EACCES')
      throw new PermissionError(`cannot read the config file ${path}${from}: permission denied`);
    throw new FileError(`cannot read the config file ${path}${from}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FileError(`the config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FileError(
      `the config file ${path} must hold a JSON object such as {"host": "localhost:50051"}`,
    );
  }
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new FileError(`the config file ${path} has an unknown key "${key}" (known: ${KEYS.join(', ')})`);
    }
    if (typeof value !== 'string' || value === '') {
      throw new FileError(`the config file ${path}: "${key}" must be a non-empty string`);
    }
    config[key] = value;
  }
  return config;
}
