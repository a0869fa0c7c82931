/**
 * The shim spawner: a small static forkserver (native/src/spawner.c) that the server starts once and
 * asks to fork+exec the shim for every job, because child_process.spawn() forks the whole server,
 * synchronously, in its main thread. The shim gets the same command line, fds and environment as
 * when Node spawned it. The protocol is in native/README.md.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { JobStartError } from '../core/errors.js';
import { errnoMessage, errnoName } from './shim-protocol.js';

/** How a shim ended. Both are null when the spawner died before it could tell (the shim is gone). */
export interface ShimExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One shim, started by the spawner. */
export interface SpawnedShim {
  readonly pid: number;
  /** The job's output (fd 1 of the shim). */
  readonly stdout: Readable;
  /** The shim's own diagnostics (fd 2). */
  readonly stderr: Readable;
  /** The status lines (fd 3). */
  readonly status: Readable;
  /**
   * Resolves once the shim has exited (never rejects). If the spawner dies first, it resolves when
   * the status pipe has closed, which the shim holds until it exits: `status` must be read to its end.
   */
  readonly exited: Promise<ShimExit>;
  /** Sends a signal to the shim unless it has exited (or the spawner, and with it the shim, is gone). */
  kill(signal: NodeJS.Signals): void;
}

type Logger = { warn(details: object, message: string): void };

/** The spawner's limit on one request frame (MAX_FRAME in spawner.c). */
const MAX_FRAME = 8 << 20;
const SIGNAL_NAMES = new Map(
  Object.entries(osConstants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);
const OPEN_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK;

/**
 * Starts shims through one spawner process. If the spawner dies, spawns in flight fail with a
 * JobStartError (step `spawner`), running shims die with it (their parent-death signal) and still
 * end through their status pipes, and the next spawn starts a new spawner. The spawner does not keep
 * the event loop alive while no spawn is in flight.
 */
export class ShimSpawner {
  readonly #spawnerPath: string;
  readonly #shimPath: string;
  readonly #logger: Logger | undefined;
  #current: Promise<SpawnerProcess> | undefined;
  #closed = false;

  private constructor(spawnerPath: string, shimPath: string, logger: Logger | undefined) {
    this.#spawnerPath = spawnerPath;
    this.#shimPath = shimPath;
    this.#logger = logger;
  }

  /** Starts the spawner and waits until it is ready; rejects (with the reason) if it cannot run. */
  static async start(spawnerPath: string, shimPath: string, logger?: Logger): Promise<ShimSpawner> {
    const spawner = new ShimSpawner(spawnerPath, shimPath, logger);
    await spawner.#process();
    return spawner;
  }

  /** Starts the shim with these arguments (after argv[0]) and this exact environment. */
  async spawn(args: readonly string[], env: Readonly<Record<string, string>>): Promise<SpawnedShim> {
    const fields = [...args, ...Object.entries(env).map(([name, value]) => `${name}=${value}`)];
    if (fields.some((field) => field.includes('\0'))) {
      throw new JobStartError(
        'an argument or environment string of the shim contains a NUL byte',
        'spawn-shim',
      );
    }
    let process: SpawnerProcess;
    try {
      process = await this.#process();
    } catch (error) {
      throw new JobStartError(
        `could not start the shim spawner: ${(error as Error).message}`,
        'spawner',
        undefined,
        {
          cause: error,
        },
      );
    }
    return process.spawn(args.length, fields);
  }

  /**
   * Stops taking spawns. Shims still running carry on: they can still be signalled and still report
   * how they end. Once none is left, the spawner gets EOF on its requests and exits. Resolves at once
   * while shims run, else once the spawner has exited.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const process = await this.#current?.catch(() => undefined);
    await process?.close();
  }

  #process(): Promise<SpawnerProcess> {
    if (this.#closed) return Promise.reject(new Error('the sandbox is closed'));
    const current = this.#current;
    if (current === undefined) return (this.#current = this.#startProcess());
    return current.then(
      (process) => (process.alive ? process : this.#restart(current)),
      () => this.#restart(current),
    );
  }

  /** A new process, unless a concurrent caller has already started one. */
  #restart(dead: Promise<SpawnerProcess>): Promise<SpawnerProcess> {
    if (this.#current !== dead) return this.#process();
    this.#logger?.warn({ spawner: this.#spawnerPath }, 'starting a new shim spawner');
    return (this.#current = this.#startProcess());
  }

  async #startProcess(): Promise<SpawnerProcess> {
    const process = new SpawnerProcess(this.#spawnerPath, this.#shimPath, this.#logger, () => this.#closed);
    await process.ready;
    return process;
  }
}

interface PendingSpawn {
  resolve(shim: SpawnedShim): void;
  reject(error: Error): void;
}

/** One running spawner process: its requests, its replies, the shims it has started. */
class SpawnerProcess {
  readonly ready: Promise<void>;
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #logger: Logger | undefined;
  readonly #pending = new Map<number, PendingSpawn>();
  readonly #shims = new Map<number, RunningShim>();
  readonly #ended: Promise<void>;
  #nextId = 1;
  #alive = true;
  #starting = true;
  #closing = false;
  #replies = '';
  #diagnostics = '';

  constructor(spawnerPath: string, shimPath: string, logger: Logger | undefined, closing: () => boolean) {
    this.#logger = logger;
    // An empty environment: the spawner needs none, and each shim gets exactly its job's.
    this.#child = spawn(spawnerPath, [shimPath], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    this.#child.stdin.on('error', () => {}); // EPIPE once the spawner has died: 'close' reports it
    this.#child.stdout.setEncoding('utf8');
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (text: string) => this.#onDiagnostics(text));
    this.ready = new Promise<void>((resolve, reject) => {
      const onData = (text: string): void =>
        this.#onReplies(text, () => {
          this.#starting = false;
          this.#settle();
          resolve();
        });
      this.#child.stdout.on('data', onData);
      this.#child.once('error', reject);
      this.#child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.#child.stdout.off('data', onData);
        this.#child.off('error', reject);
        const error = this.#died(code, signal, closing());
        reject(error);
      });
    });
    this.#ended = new Promise((resolve) => this.#child.once('close', () => resolve()));
    this.#settle();
  }

  get alive(): boolean {
    return this.#alive;
  }

  spawn(argCount: number, fields: readonly string[]): Promise<SpawnedShim> {
    const id = this.#nextId++;
    const payload = Buffer.from(['spawn', String(id), String(argCount), ...fields].join('\0') + '\0');
    if (payload.length > MAX_FRAME) {
      return Promise.reject(
        new JobStartError(
          `the job's arguments and environment take more than ${MAX_FRAME} bytes`,
          'spawn-shim',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#settle();
      this.#send(payload);
    });
  }

  kill(pid: number, signal: NodeJS.Signals): void {
    if (this.#alive) this.#send(Buffer.from(`kill\0${pid}\0${osConstants.signals[signal]}\0`));
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (!this.#alive || this.#pending.size > 0 || this.#shims.size > 0) return;
    this.#settle();
    await this.#ended;
  }

  #send(payload: Buffer): void {
    const header = Buffer.alloc(4);
    header.writeUInt32LE(payload.length);
    this.#child.stdin.write(Buffer.concat([header, payload]));
  }

  #onReplies(text: string, ready: () => void): void {
    const lines = (this.#replies + text).split('\n');
    this.#replies = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, ...words] = line.split(' ');
      const numbers = words.map(Number);
      if (kind === 'ready') ready();
      else if (kind === 'spawned') this.#onSpawned(numbers);
      else if (kind === 'failed') this.#onFailed(numbers[0], words[1], numbers[2]);
      else if (kind === 'exited') this.#onExited(numbers[0], words);
      else this.#logger?.warn({ line }, 'the shim spawner said something unexpected');
    }
  }

  /** spawned ID PID OUTFD ERRFD STATUSFD: open our own descriptions of the pipes, then release them. */
  #onSpawned([id, pid, ...fds]: number[]): void {
    const pending = this.#take(id);
    if (pending === undefined || pid === undefined) return;
    const opened: number[] = [];
    try {
      // The spawner has not been reaped yet (its exit would have been handled first), so its pid
      // and these fds are still the ones it meant.
      for (const fd of fds) opened.push(openSync(`/proc/${this.#child.pid}/fd/${fd}`, OPEN_FLAGS));
    } catch (error) {
      for (const fd of opened) closeSync(fd);
      this.kill(pid, 'SIGKILL');
      this.#send(Buffer.from(`release\0${id}\0`));
      pending.reject(
        new JobStartError(
          `could not open the pipes of the shim: ${(error as Error).message}`,
          'spawner',
          undefined,
          {
            cause: error,
          },
        ),
      );
      return;
    }
    this.#send(Buffer.from(`release\0${id}\0`));
    const [stdout, stderr, status] = opened.map((fd) => new Socket({ fd, readable: true, writable: false }));
    const shim = new RunningShim(pid, stdout!, stderr!, status!, (signal) => this.kill(pid, signal));
    this.#shims.set(pid, shim);
    this.#settle();
    void shim.exited.then(() => {
      if (this.#shims.get(pid) === shim) this.#shims.delete(pid);
      this.#settle();
    });
    pending.resolve(shim);
  }

  /** failed ID STEP ERRNO: nothing was started (too many shims, no pipe, no fork). */
  #onFailed(id: number | undefined, step: string | undefined, errno: number | undefined): void {
    const name = errnoName(errno ?? 0);
    const message = `the shim spawner could not start the shim: ${step ?? '?'}: ${errnoMessage(errno ?? 0)} (${name})`;
    this.#take(id)?.reject(new JobStartError(message, 'spawn-shim', name));
  }

  /** exited PID CODE | exited PID signal SIGNO */
  #onExited(pid: number | undefined, words: readonly string[]): void {
    const shim = pid === undefined ? undefined : this.#shims.get(pid);
    if (shim === undefined) return;
    this.#shims.delete(pid!);
    if (words[1] === 'signal') {
      const number = Number(words[2]);
      shim.finish({ code: null, signal: SIGNAL_NAMES.get(number) ?? null });
    } else shim.finish({ code: Number(words[1]), signal: null });
  }

  #take(id: number | undefined): PendingSpawn | undefined {
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (pending !== undefined) this.#pending.delete(id!);
    this.#settle();
    return pending;
  }

  #onDiagnostics(text: string): void {
    const lines = (this.#diagnostics + text).split('\n');
    this.#diagnostics = lines.pop() ?? '';
    for (const line of lines) this.#logger?.warn({ spawner: this.#child.pid, line }, 'shim spawner');
  }

  /** The process has exited and its pipes are closed: every reply it wrote has been read. */
  #died(code: number | null, signal: NodeJS.Signals | null, closing: boolean): Error {
    this.#alive = false;
    const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
    const error = new JobStartError(`the shim spawner ended (${how})`, 'spawner');
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    // Their exit is not known any more: each ends when its status pipe closes.
    for (const shim of this.#shims.values()) shim.orphan();
    this.#shims.clear();
    if (!closing || code !== 0) {
      this.#logger?.warn(
        { spawner: this.#child.pid, code, signal },
        'the shim spawner ended; the next job starts a new one',
      );
    }
    return error;
  }

  /**
   * After every change of state. Once closing and idle, the spawner gets EOF and exits. It keeps the
   * event loop alive only while it starts, a spawn waits for its reply, a shim it started waits for
   * its `exited` line, or a close waits for it to exit.
   */
  #settle(): void {
    const idle = !this.#starting && this.#pending.size === 0 && this.#shims.size === 0;
    if (this.#closing && idle && this.#alive) this.#child.stdin.end();
    const busy = !idle || (this.#closing && this.#alive);
    // Its stdio streams are net.Sockets over pipes, which can be unref'd like the process.
    const pipes = [this.#child.stdin, this.#child.stdout, this.#child.stderr] as unknown as Socket[];
    for (const handle of [this.#child, ...pipes]) {
      if (busy) handle.ref();
      else handle.unref();
    }
  }
}

/** A shim as its users see it; `finish` and `orphan` are for SpawnerProcess. */
class RunningShim implements SpawnedShim {
  readonly exited: Promise<ShimExit>;
  #finish!: (exit: ShimExit) => void;
  #done = false;

  constructor(
    readonly pid: number,
    readonly stdout: Readable,
    readonly stderr: Readable,
    readonly status: Readable,
    readonly send: (signal: NodeJS.Signals) => void,
  ) {
    this.exited = new Promise((resolve) => (this.#finish = resolve));
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.#done) this.send(signal);
  }

  finish(exit: ShimExit): void {
    if (this.#done) return;
    this.#done = true;
    this.#finish(exit);
  }

  /** The spawner died: the shim dies too (its parent-death signal); it is over when fd 3 closes. */
  orphan(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.status.destroyed || this.status.readableEnded) this.#finish({ code: null, signal: null });
    else this.status.once('close', () => this.#finish({ code: null, signal: null }));
  }
}
