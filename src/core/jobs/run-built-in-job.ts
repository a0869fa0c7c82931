import type { Writable } from 'node:stream';
import { InvalidArgumentError } from '../errors.js';
import type { JobArguments } from '../types.js';
import { getJobDefinition, validateJobArguments } from './index.js';
import { GRANT_ENV, type RunGrants } from './job-definition.js';
import { escapeControlCharacters } from './log-line.js';

/** The runner's own failures, told apart from a job's exit 1 (failed) and 0 (complete). */
export const RUNNER_EXIT_CODES = { badInput: 2, internalError: 70 } as const;

export interface RunnerStreams {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

const USAGE = "usage: job-runner '<job arguments as JSON>'";

/** Input the runner refuses: reported in one line, exit 2. */
class BadInput extends Error {}

function complain(stderr: Writable, message: string): void {
  stderr.write(`job-runner: ${escapeControlCharacters(message)}\n`);
}

function readArguments(argv: readonly string[]): JobArguments {
  // argv[0] is node and argv[1] the script (or '-' when the bundle comes on stdin).
  const json = argv.length >= 3 ? argv.at(-1) : undefined;
  if (json === undefined) throw new BadInput(USAGE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new BadInput(`the job arguments are not valid JSON: ${(error as Error).message}`);
  }
  try {
    // The cast only satisfies the signature: validateJobArguments checks every field at run time.
    return validateJobArguments(parsed as JobArguments);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new BadInput(`invalid job arguments: ${error.message}`);
    throw error;
  }
}

/** The grants the job manager put in the environment: only the exact value "1" grants. */
export function readGrants(env: Readonly<Record<string, string | undefined>>): RunGrants {
  return { privateDestinations: env[GRANT_ENV.privateDestinations] === '1' };
}

/**
 * Runs one built-in job in this process and resolves to the exit code: the job's own, 2 for input
 * the runner refuses, 70 for a bug. The job's arguments are the last command-line argument, as
 * JSON; they are validated again here, because this process trusts nothing it did not check. What
 * the job was allowed beyond its arguments comes from `env` (readGrants).
 */
export async function main(
  argv: readonly string[],
  { stdout, stderr }: RunnerStreams = { stdout: process.stdout, stderr: process.stderr },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  try {
    const args = readArguments(argv);
    const definition = getJobDefinition(args.type);
    if (definition.run === undefined) {
      throw new BadInput(`'${args.type}' jobs are not built in: the launcher runs their executable itself`);
    }
    return await definition.run(args, stdout, readGrants(env));
  } catch (error) {
    if (error instanceof BadInput) {
      complain(stderr, error.message);
      return RUNNER_EXIT_CODES.badInput;
    }
    complain(stderr, `internal error: ${error instanceof Error ? error.message : String(error)}`);
    return RUNNER_EXIT_CODES.internalError;
  }
}
