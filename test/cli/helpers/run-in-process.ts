/** Runs the CLI in-process (runCli from main.ts) with a fake API and captured streams. */
import { runCli } from '../../../src/cli/main.js';
import { captureIo, type CapturedIo } from './capture-io.js';
import { FakeApi } from './fake-api.js';

export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly io: CapturedIo;
  readonly api: FakeApi;
}

export interface InProcessOptions {
  readonly api?: FakeApi;
  readonly stderrIsTty?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: Date;
  readonly signal?: AbortSignal;
}

export async function runInProcess(
  argv: readonly string[],
  options: InProcessOptions = {},
): Promise<InProcessResult> {
  const io = captureIo({ stderrIsTty: options.stderrIsTty ?? false });
  const api = options.api ?? new FakeApi();
  const code = await runCli({
    argv,
    io,
    env: options.env ?? {},
    cwd: process.cwd(),
    signal: options.signal ?? new AbortController().signal,
    devTlsDir: '/nonexistent/.dev/tls',
    version: '0.0.0-test',
    now: () => options.now ?? new Date(2022, 6, 7, 16, 35, 0),
    openApi: () => Promise.resolve(api),
  });
  return { code, stdout: io.stdoutText(), stderr: io.stderrText(), io, api };
}
