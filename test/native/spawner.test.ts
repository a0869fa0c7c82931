/**
 * The shim spawner (native/src/spawner.c), driven directly through its protocol (native/README.md):
 * framed requests on its stdin, reply lines on its stdout, the shim's pipes opened through
 * /proc/SPAWNER/fd. Real shims, as root. Waiting is always on an event, never on a timer.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { constants, existsSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { after, afterEach, it } from 'node:test';
import { JOB_ENV, NATIVE_DIR, SHIM_PATH } from './run-shim.js';

const SPAWNER_PATH = join(NATIVE_DIR, 'build/workernator-spawner');

/** Reads a stream to its end. */
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

interface Opened {
  readonly pid: number;
  readonly output: Promise<Buffer>;
  readonly diagnostics: Promise<string>;
  readonly status: Promise<string>;
  /** Resolves once the shim has said `running`: from then on it takes SIGTERM (not before). */
  readonly running: Promise<void>;
}

/** One spawner process and what it has said. */
class Spawner {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  #lines: string[] = [];
  #partial = '';
  #stderr = '';
  #waiters: Array<() => void> = [];
  #nextId = 1;

  constructor(shimPath = SHIM_PATH) {
    this.child = spawn(SPAWNER_PATH, [shimPath], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    this.child.stdin.on('error', () => {});
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => {
      const lines = (this.#partial + text).split('\n');
      this.#partial = lines.pop()!;
      this.#lines.push(...lines);
      this.#notify();
    });
    this.child.stderr.on('data', (text: string) => (this.#stderr += text));
    this.closed = once(this.child, 'close').then(([code, signal]) => {
      this.#notify();
      return { code: code as number | null, signal: signal as NodeJS.Signals | null, stderr: this.#stderr };
    });
    spawners.add(this);
  }

  get lines(): readonly string[] {
    return this.#lines;
  }

  /** Sends one frame of NUL-terminated fields. */
  send(fields: readonly string[]): void {
    this.sendRaw(Buffer.from(fields.map((f) => `${f}\0`).join('')));
  }

  sendRaw(payload: Buffer, length = payload.length): void {
    const header = Buffer.alloc(4);
    header.writeUInt32LE(length);
    this.child.stdin.write(Buffer.concat([header, payload]));
  }

  /** The first reply line matching `pattern`; rejects if the spawner ends first. */
  line(pattern: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.#lines.find((l) => pattern.test(l));
        if (found !== undefined) resolve(found);
        else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          reject(new Error(`spawner ended before ${pattern}: ${this.#lines.join(' | ')} ${this.#stderr}`));
        } else this.#waiters.push(check);
      };
      check();
    });
  }

  /** Asks for a shim with these arguments; resolves with the `spawned` line's numbers. */
  async spawnShim(
    args: readonly string[],
    env: Readonly<Record<string, string>> = JOB_ENV,
  ): Promise<{ id: number; pid: number; fds: number[] }> {
    const id = this.#nextId++;
    const envStrings = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    this.send(['spawn', String(id), String(args.length), ...args, ...envStrings]);
    const [, , pid, ...fds] = (await this.line(new RegExp(`^(spawned|failed) ${id} `))).split(' ');
    assert.ok(fds.length === 3, `spawn ${id} failed`);
    return { id, pid: Number(pid), fds: fds.map(Number) };
  }

  /** Opens our own descriptions of a spawn's three pipes, then releases the spawner's. */
  open(spawned: { id: number; pid: number; fds: number[] }): Opened {
    const [output, diagnostics, status] = spawned.fds.map(
      (fd) =>
        new Socket({
          fd: openSync(`/proc/${this.child.pid}/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK),
          readable: true,
          writable: false,
        }),
    );
    this.send(['release', String(spawned.id)]);
    let text = '';
    const running = new Promise<void>((resolve, reject) => {
      status!.on('data', (chunk: Buffer) => {
        text += String(chunk);
        if (text.startsWith('running ')) resolve();
      });
      status!.once('close', () => reject(new Error(`no running line: ${JSON.stringify(text)}`)));
    });
    running.catch(() => {});
    return {
      pid: spawned.pid,
      output: readAll(output!),
      diagnostics: readAll(diagnostics!).then(String),
      status: once(status!, 'close').then(() => text),
      running,
    };
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }
}

const spawners = new Set<Spawner>();
afterEach(async () => {
  // A failed test may leave a spawner (and its shims, which die with it) behind.
  for (const spawner of spawners) {
    spawner.child.kill('SIGKILL');
    await spawner.closed;
  }
  spawners.clear();
});
after(() => assert.ok(existsSync(SPAWNER_PATH)));

it('says ready, then runs many shims at once with their output intact', async () => {
  const spawner = new Spawner();
  await spawner.line(/^ready$/);
  const size = 3 * 1024 * 1024;
  const jobs = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      spawner.spawnShim(['--job-id', `MANY0${i}`, '--', 'sh', '-c', `yes job${i} | head -c ${size}`]),
    ).map(async (spawned) => spawner.open(await spawned)),
  );
  for (const [i, job] of jobs.entries()) {
    const expected = Buffer.alloc(size, `job${i}\n`);
    const output = await job.output;
    assert.equal(output.length, size);
    assert.ok(output.equals(expected), `job ${i}: output differs`);
    assert.match(await job.status, /^running \d+\nexit 0\n$/);
    assert.equal(await job.diagnostics, '');
    await spawner.line(new RegExp(`^exited ${job.pid} 0$`));
  }
  spawner.child.stdin.end();
  assert.deepEqual(await spawner.closed, { code: 0, signal: null, stderr: '' });
});

it('loses nothing of a job that ended before its pipes were opened', async () => {
  const spawner = new Spawner();
  const spawned = await spawner.spawnShim(['--job-id', 'QUICK1', '--', 'sh', '-c', 'echo quick; exit 3']);
  await spawner.line(new RegExp(`^exited ${spawned.pid} 0$`));
  const job = spawner.open(spawned);
  assert.equal(String(await job.output), 'quick\n');
  assert.match(await job.status, /^running \d+\nexit 3\n$/);
});

it('reports exit codes and signals of the shims it reaps', async () => {
  const spawner = new Spawner();
  // Bad usage: the shim itself exits 125.
  const usage = spawner.open(await spawner.spawnShim(['--job-id', 'USAGE1']));
  assert.match(await usage.status, /^error usage 22 /);
  await spawner.line(new RegExp(`^exited ${usage.pid} 125$`));

  const sleeper = spawner.open(await spawner.spawnShim(['--job-id', 'SLEEP1', '--', 'sleep', '1000']));
  spawner.send(['kill', String(sleeper.pid), '9']);
  await spawner.line(new RegExp(`^exited ${sleeper.pid} signal 9$`));
  // The init died with the shim (its parent-death signal): the status pipe ends without a last line.
  assert.match(await sleeper.status, /^(running \d+\n)?$/);
});

it('forwards kill only to live children of its own', async () => {
  const spawner = new Spawner();
  const stranger = spawn('sleep', ['1000'], { stdio: 'ignore' });
  const strangerExit = once(stranger, 'exit');
  try {
    spawner.send(['kill', String(stranger.pid), '9']);
    // Not a child: ignored. A reaped child: ignored too (its pid may be someone else's by now).
    const done = spawner.open(await spawner.spawnShim(['--job-id', 'DONE01', '--', 'true']));
    await spawner.line(new RegExp(`^exited ${done.pid} 0$`));
    spawner.send(['kill', String(done.pid), '9']);
    // Requests are handled in order: once this one is answered, the kills above were handled.
    const live = spawner.open(await spawner.spawnShim(['--job-id', 'LIVE01', '--', 'sleep', '1000']));
    assert.equal(stranger.exitCode, null);
    assert.equal(stranger.signalCode, null);
    assert.equal(spawner.child.exitCode, null);
    // SIGTERM reaches the job through the shim and its init; the shim reports it and exits 0.
    await live.running;
    spawner.send(['kill', String(live.pid), '15']);
    assert.match(await live.status, /^running \d+\nsignal 15\n$/);
    await spawner.line(new RegExp(`^exited ${live.pid} 0$`));
  } finally {
    stranger.kill('SIGKILL');
    await strangerExit;
  }
});

it('exits with a diagnostic on a malformed frame', async () => {
  const cases: Array<[string, (s: Spawner) => void, RegExp]> = [
    ['too big', (s) => s.sendRaw(Buffer.alloc(0), 8 * 1024 * 1024 + 1), /frame of 8388609 bytes/],
    ['empty', (s) => s.sendRaw(Buffer.alloc(0)), /frame of 0 bytes/],
    ['unknown verb', (s) => s.send(['launch', '1']), /unknown request/],
    ['not NUL-terminated', (s) => s.sendRaw(Buffer.from('spawn')), /NUL-terminated/],
    ['bad count', (s) => s.send(['spawn', '1', '5', '--job-id']), /argument count/],
    ['bad signal', (s) => s.send(['kill', '1', '99']), /kill: signal/],
  ];
  for (const [name, send, diagnostic] of cases) {
    const spawner = new Spawner();
    await spawner.line(/^ready$/);
    send(spawner);
    const { code, stderr } = await spawner.closed;
    assert.equal(code, 2, name);
    assert.match(stderr, /^workernator-spawner: bad request from the server: /, name);
    assert.match(stderr, diagnostic, name);
  }
});

it('on EOF leaves running shims alone and exits 0 once they have ended', async () => {
  const spawner = new Spawner();
  const job = spawner.open(await spawner.spawnShim(['--job-id', 'EOF001', '--', 'sleep', '1000']));
  const unopened = await spawner.spawnShim(['--job-id', 'EOF002', '--', 'true']);
  spawner.child.stdin.end();
  await spawner.line(new RegExp(`^exited ${unopened.pid} 0$`));
  // The spawner waits for its last shim, which is still running: stop it ourselves, by signal.
  assert.equal(spawner.child.exitCode, null);
  await job.running;
  process.kill(job.pid, 'SIGTERM');
  assert.match(await job.status, /^running \d+\nsignal 15\n$/);
  assert.deepEqual(await spawner.closed, { code: 0, signal: null, stderr: '' });
  assert.ok(spawner.lines.includes(`exited ${job.pid} 0`));
});

it('reports a shim it cannot exec on the status pipe, as the shim would', async () => {
  const spawner = new Spawner('/nonexistent/workernator-shim');
  const job = spawner.open(await spawner.spawnShim(['--job-id', 'NOSHIM', '--', 'true']));
  assert.equal(await job.status, 'error exec-shim 2\n');
  await spawner.line(new RegExp(`^exited ${job.pid} 125$`));
  assert.equal(String(await job.output), '');
});
