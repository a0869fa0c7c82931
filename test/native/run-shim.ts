/**
 * Runs the C shim the way the launcher does (stdio: job stdin ignored, job output, shim diagnostics,
 * fd-3 status pipe) and collects everything it says. Waiting is always on an event (a line, a text
 * in the output, the process closing), never on a timer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const NATIVE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../native');
export const SHIM_PATH = join(NATIVE_DIR, 'build/workernator-shim');

/** The environment jobs get unless a test says otherwise: the shim's default PATH, nothing else. */
export const JOB_ENV: Readonly<Record<string, string>> = { PATH: '/usr/local/bin:/usr/bin:/bin' };

export interface ShimResult {
  /** The fd-3 lines, without their newlines. */
  readonly statusLines: readonly string[];
  /** The job's output (its stdout and stderr are one stream). */
  readonly stdout: string;
  /** The shim's own diagnostics. */
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One running shim. `done` resolves once it has exited and all its pipes have closed. */
export class ShimRun {
  readonly child: ChildProcess;
  readonly done: Promise<ShimResult>;
  #stdout = '';
  #stderr = '';
  #status = '';
  #closed = false;
  #listeners: Array<() => void> = [];

  constructor(args: readonly string[], env: Readonly<Record<string, string>> = JOB_ENV) {
    this.child = spawn(SHIM_PATH, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { ...env } });
    const collect = (stream: Readable, append: (text: string) => void): void => {
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        append(text);
        this.#notify();
      });
    };
    collect(this.child.stdout!, (text) => (this.#stdout += text));
    collect(this.child.stderr!, (text) => (this.#stderr += text));
    collect(this.child.stdio[3] as Readable, (text) => (this.#status += text));
    this.done = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
        this.#closed = true;
        this.#notify();
        resolve({
          statusLines: this.statusLines,
          stdout: this.#stdout,
          stderr: this.#stderr,
          exitCode,
          signal,
        });
      });
    });
  }

  get statusLines(): string[] {
    return this.#status.split('\n').slice(0, -1);
  }

  /** Resolves once the job's output contains `text`; rejects if the shim ends first. */
  waitForOutput(text: string): Promise<void> {
    return this.#waitFor(() => this.#stdout.includes(text), `output ${JSON.stringify(text)}`);
  }

  /** Resolves with the first status line starting with `prefix`; rejects if the shim ends first. */
  async waitForStatus(prefix: string): Promise<string> {
    const find = (): string | undefined => this.statusLines.find((line) => line.startsWith(prefix));
    await this.#waitFor(() => find() !== undefined, `status ${JSON.stringify(prefix)}`);
    return find()!;
  }

  /** Sends a signal unless the shim has already exited. */
  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  #waitFor(ready: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (ready()) resolve();
        else if (this.#closed) {
          reject(new Error(`shim ended before ${what}: ${JSON.stringify(this.statusLines)} ${this.#stdout}`));
        } else return false;
        return true;
      };
      const listener = (): void => {
        if (!check()) this.#listeners.push(listener);
      };
      listener();
    });
  }

  #notify(): void {
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener();
  }
}

/** Runs the shim to the end. */
export function runShim(
  args: readonly string[],
  env: Readonly<Record<string, string>> = JOB_ENV,
): Promise<ShimResult> {
  return new ShimRun(args, env).done;
}

/** Host pids whose command line contains `marker` (NUL-separated argv, as in /proc/PID/cmdline). */
export function hostPidsWithCmdline(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(marker)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
