import { posix } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { CommandArguments } from '../types.js';
import { describeValue, requireRecord, requireString, requireType } from './argument-checks.js';
import type { JobDefinition } from './job-definition.js';

/**
 * Caps for a command job, chosen below what Linux's execve accepts so that a job the server
 * accepted never fails to start for its size:
 * - a path is at most PATH_MAX (4096 bytes, terminating NUL included);
 * - one argv or envp string is at most MAX_ARG_STRLEN (128 KiB, NUL included);
 * - argv plus envp share ARG_MAX, a quarter of the stack limit (2 MiB with the usual 8 MiB), so
 *   1 MiB leaves room for the launcher's own arguments and a smaller stack limit.
 * The counts are far beyond what a command needs, and keep a single request's cost bounded.
 */
export const COMMAND_LIMITS = {
  maxPathBytes: 4095,
  maxArgs: 4096,
  maxStringBytes: 128 * 1024 - 1,
  maxEnvVars: 256,
  maxEnvNameBytes: 255,
  maxTotalBytes: 1024 * 1024,
} as const;

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Why execve could not carry this string (a NUL would end it early), or undefined when it can. */
function cStringProblem(value: unknown, maxBytes: number): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${describeValue(value)}`;
  if (value.includes('\0')) return 'must not contain NUL characters';
  const bytes = byteLength(value);
  return bytes > maxBytes ? `must be at most ${maxBytes} bytes, got ${bytes}` : undefined;
}

function requireCString(value: unknown, field: string, maxBytes: number): string {
  const problem = cStringProblem(value, maxBytes);
  if (problem !== undefined) throw new InvalidArgumentError(field, problem);
  return requireString(value, field);
}

function validateExecutable(value: unknown): string {
  const executable = requireCString(value, 'executable', COMMAND_LIMITS.maxPathBytes);
  if (executable === '') throw new InvalidArgumentError('executable', 'must not be empty');
  return executable;
}

function validateArgs(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError('args', `must be a list of strings, got ${describeValue(value)}`);
  }
  if (value.length > COMMAND_LIMITS.maxArgs) {
    throw new InvalidArgumentError(
      'args',
      `at most ${COMMAND_LIMITS.maxArgs} are allowed, got ${value.length}`,
    );
  }
  return value.map((arg: unknown, index) =>
    requireCString(arg, `args[${index}]`, COMMAND_LIMITS.maxStringBytes),
  );
}

function validateEnv(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  const env = requireRecord(value, 'env');
  const names = Object.keys(env);
  if (names.length > COMMAND_LIMITS.maxEnvVars) {
    throw new InvalidArgumentError(
      'env',
      `at most ${COMMAND_LIMITS.maxEnvVars} variables are allowed, got ${names.length}`,
    );
  }
  const entries = names.map((name): [string, string] => {
    if (name === '') throw new InvalidArgumentError('env', 'a variable name must not be empty');
    // '=' would move the boundary between name and value in the `NAME=value` string execve gets.
    if (name.includes('='))
      throw new InvalidArgumentError('env', `the name ${describeValue(name)} must not contain '='`);
    const nameProblem = cStringProblem(name, COMMAND_LIMITS.maxEnvNameBytes);
    if (nameProblem !== undefined) {
      throw new InvalidArgumentError('env', `the name ${describeValue(name)} ${nameProblem}`);
    }
    // One `NAME=value` string is bounded as a whole, like any other execve string.
    const entryValue = env[name];
    const valueProblem = cStringProblem(entryValue, COMMAND_LIMITS.maxStringBytes - byteLength(name) - 1);
    if (valueProblem !== undefined) {
      throw new InvalidArgumentError('env', `the value of ${describeValue(name)} ${valueProblem}`);
    }
    return [name, entryValue as string];
  });
  // fromEntries defines own properties: a `__proto__` name stays a name.
  return Object.fromEntries(entries);
}

function validateWorkingDir(value: unknown): string | undefined {
  // The wire's empty string means "not set".
  if (value === undefined || value === '') return undefined;
  const dir = requireCString(value, 'workingDir', COMMAND_LIMITS.maxPathBytes);
  if (!posix.isAbsolute(dir)) throw new InvalidArgumentError('workingDir', 'must be an absolute path');
  const normalized = posix.normalize(dir);
  if (dir !== normalized || (dir !== '/' && dir.endsWith('/'))) {
    throw new InvalidArgumentError(
      'workingDir',
      `must be normalized (no '.', '..', '//' or trailing '/'): ${describeValue(dir)}`,
    );
  }
  return dir;
}

/** What execve copies onto the new process's stack: every string with its terminating NUL. */
function execveBytes(
  executable: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): number {
  let total = byteLength(executable) + 1;
  for (const arg of args) total += byteLength(arg) + 1;
  for (const [name, value] of Object.entries(env)) total += byteLength(name) + byteLength(value) + 2;
  return total;
}

function validateCommand(input: unknown): CommandArguments {
  const record = requireRecord(input, 'args');
  const type = requireType(record, 'command');
  const executable = validateExecutable(record.executable);
  const args = validateArgs(record.args);
  const env = validateEnv(record.env);
  const workingDir = validateWorkingDir(record.workingDir);
  const total = execveBytes(executable, args, env);
  if (total > COMMAND_LIMITS.maxTotalBytes) {
    throw new InvalidArgumentError(
      'args',
      `the executable, arguments and environment together must be at most ${COMMAND_LIMITS.maxTotalBytes} bytes, got ${total}`,
    );
  }
  return workingDir === undefined
    ? { type, executable, args, env }
    : { type, executable, args, env, workingDir };
}

/** Runs any executable in the sandbox. Not built in: the launcher executes it, so there is no `run`. */
export const commandJob: JobDefinition<'command'> = {
  type: 'command',
  displayName: 'Command',
  validate: validateCommand,
};
