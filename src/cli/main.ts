#!/usr/bin/env node
/**
 * workernator: the CLI client. This file owns what reaches the terminal at the end: the exit code
 * of each error (documented in docs/cli.md), the one-line message, and Ctrl-C (exit 130). runCli()
 * takes its surroundings as arguments so tests can run it in-process with a fake API.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobsApi } from './client.js';
import { root } from './commands/tree.js';
import { openApi } from './connection/open.js';
import { resolveConnection, type ConnectionSettings } from './connection/settings.js';
import { CliError, InterruptedError, UsageError, type CliErrorCode } from './errors.js';
import { buildProgram } from './program.js';
import { processIo, type Io } from './terminal.js';

export const EXIT_CODES = {
  WN_CLI_USAGE: 1,
  WN_CLI_JOB: 1,
  WN_CLI_CONNECTION: 2,
  WN_CLI_TLS: 2,
  WN_CLI_FILE: 2,
  WN_CLI_NOT_FOUND: 3,
  WN_CLI_PERMISSION: 3,
  // 128 + SIGINT, as shells report a program that Ctrl-C ended.
  WN_CLI_INTERRUPTED: 130,
} as const satisfies Record<CliErrorCode, number>;

export interface CliEnvironment {
  readonly argv: readonly string[];
  readonly io: Io;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly signal: AbortSignal;
  /** `<repo>/.dev/tls`: where `npm start` puts the development PKI. */
  readonly devTlsDir: string;
  readonly version: string;
  readonly now?: () => Date;
  /** Tests replace the gRPC client; the default connects with the resolved settings. */
  readonly openApi?: (settings: ConnectionSettings, signal: AbortSignal) => Promise<JobsApi>;
}

/** The one place an error becomes a message and an exit code. */
function report(failure: unknown, io: Io, usage: (path: string) => string | undefined): number {
  if (failure instanceof InterruptedError) return EXIT_CODES.WN_CLI_INTERRUPTED;
  if (failure instanceof UsageError) {
    const block = failure.showUsage ? usage(failure.commandPath) : undefined;
    io.stderr.write(
      block !== undefined
        ? `Error: ${failure.message}\n${block}\n`
        : `Error: ${failure.message}\nRun '${failure.commandPath} --help' for usage.\n`,
    );
    return EXIT_CODES.WN_CLI_USAGE;
  }
  if (failure instanceof CliError) {
    io.stderr.write(`Error: ${failure.message}\n`);
    return EXIT_CODES[failure.code];
  }
  // A bug: still one line; the stack only on request.
  const message = failure instanceof Error ? failure.message : String(failure);
  io.stderr.write(`Error: unexpected failure: ${message}\n`);
  if (process.env.WORKERNATOR_DEBUG === '1' && failure instanceof Error)
    io.stderr.write(`${failure.stack}\n`);
  return 1;
}

export async function runCli(cli: CliEnvironment): Promise<number> {
  let api: JobsApi | undefined;
  const program = buildProgram(root, {
    io: cli.io,
    version: cli.version,
    context: (values, format, completionModel) => ({
      io: cli.io,
      format,
      signal: cli.signal,
      now: cli.now ?? (() => new Date()),
      completionModel,
      api: async () => {
        if (api !== undefined) return api;
        const settings = await resolveConnection({
          flags: {
            host: values.string('host'),
            ca: values.string('ca'),
            cert: values.string('cert'),
            key: values.string('key'),
            config: values.string('config'),
          },
          env: cli.env,
          cwd: cli.cwd,
          devTlsDir: cli.devTlsDir,
        });
        api = await (cli.openApi ?? openApi)(settings, cli.signal);
        return api;
      },
    }),
  });
  try {
    await program.run(cli.argv);
    // Ctrl-C during the last write still means the user ended it.
    return cli.signal.aborted ? EXIT_CODES.WN_CLI_INTERRUPTED : 0;
  } catch (error) {
    return report(cli.signal.aborted ? new InterruptedError() : error, cli.io, (path) => program.usage(path));
  } finally {
    api?.close();
  }
}

// dist/cli/main.js and src/cli/main.ts both sit two levels below the repository.
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Resolves once everything written so far has left the process, so exit() loses nothing. */
function flush(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    // Through npm's bin symlink argv[1] is the link; compare real paths.
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // grpc-js passes an IP address host as the TLS server name, which Node flags (DEP0123) on every
  // connection. The certificate is still checked against the address (the server certificate has
  // IP SANs), and no user of a CLI can act on a Node deprecation warning, so they are off.
  process.noDeprecation = true;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  // A reader that went away (`| head`) is not an error worth a message.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  const code = await runCli({
    argv: process.argv.slice(2),
    io: processIo(),
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
    devTlsDir: join(repoRoot, '.dev', 'tls'),
    version: readVersion(),
  });
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
