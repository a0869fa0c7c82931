/**
 * ShimSpawner (src/sandbox/spawner.ts) with the real spawner and shim binaries, as root: shims
 * started through it, a spawner killed under running jobs, close(). Waiting is on events only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, it } from 'node:test';
import { JobStartError } from '../../src/core/errors.js';
import { defaultShimPath } from '../../src/sandbox/index.js';
import { defaultSpawnerPath } from '../../src/sandbox/sandbox-launcher.js';
import { ShimSpawner, type SpawnedShim } from '../../src/sandbox/spawner.js';

const SHIM = defaultShimPath();
const SPAWNER = defaultSpawnerPath(SHIM);
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

const warnings: Array<{ details: object; message: string }> = [];
const logger = { warn: (details: object, message: string) => warnings.push({ details, message }) };

async function readText(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) text += String(chunk);
  return text;
}

/** The first status line, once it has come (the shim takes signals only from then on). */
function firstStatusLine(shim: SpawnedShim): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    shim.status.on('data', (chunk: Buffer) => {
      text += String(chunk);
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    shim.status.once('close', () => reject(new Error(`status ended: ${JSON.stringify(text)}`)));
  });
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

const opened: ShimSpawner[] = [];
async function start(): Promise<ShimSpawner> {
  const spawner = await ShimSpawner.start(SPAWNER, SHIM, logger);
  opened.push(spawner);
  return spawner;
}
after(async () => {
  for (const spawner of opened) await spawner.close();
});

it('starts shims with their output, status and exit', async () => {
  const spawner = await start();
  const shim = await spawner.spawn(['--job-id', 'SPAWN1', '--', 'sh', '-c', 'echo "$GREETING"; exit 4'], {
    ...ENV,
    GREETING: 'hello there',
  });
  const [output, status, diagnostics, exited] = await Promise.all([
    readText(shim.stdout),
    readText(shim.status),
    readText(shim.stderr),
    shim.exited,
  ]);
  assert.equal(output, 'hello there\n');
  assert.match(status, /^running \d+\nexit 4\n$/);
  assert.equal(diagnostics, '');
  assert.deepEqual(exited, { code: 0, signal: null });
});

it('signals a running shim, and ignores kill() once it has ended', async () => {
  const spawner = await start();
  const shim = await spawner.spawn(['--job-id', 'SPAWN2', '--', 'sleep', '1000'], ENV);
  const status = readText(shim.status);
  assert.match(await firstStatusLine(shim), /^running \d+$/);
  shim.kill('SIGTERM');
  assert.match(await status, /^running \d+\nsignal 15\n$/);
  assert.deepEqual(await shim.exited, { code: 0, signal: null });
  shim.kill('SIGKILL'); // a no-op now
  const again = await spawner.spawn(['--job-id', 'SPAWN3', '--', 'sleep', '1000'], ENV);
  void readText(again.stdout);
  void readText(again.status);
  again.kill('SIGKILL');
  assert.deepEqual(await again.exited, { code: null, signal: 'SIGKILL' });
});

it('reports a shim that cannot be executed on its status pipe', async () => {
  const spawner = await ShimSpawner.start(SPAWNER, '/nonexistent/workernator-shim', logger);
  opened.push(spawner);
  const shim = await spawner.spawn(['--job-id', 'NOSHIM', '--', 'true'], ENV);
  assert.equal(await readText(shim.status), 'error exec-shim 2\n');
  assert.deepEqual(await shim.exited, { code: 125, signal: null });
});

it('refuses a missing spawner binary', async () => {
  await assert.rejects(ShimSpawner.start('/nonexistent/workernator-spawner', SHIM, logger), /ENOENT/);
});

it('when the spawner is killed, running shims end through their status pipes and the next spawn works', async () => {
  const spawner = await start();
  const shims = await Promise.all(
    ['DEAD01', 'DEAD02'].map((id) => spawner.spawn(['--job-id', id, '--', 'sleep', '1000'], ENV)),
  );
  const statuses = shims.map((shim) => readText(shim.status));
  for (const shim of shims) void readText(shim.stdout);
  const spawnerPid = parentOf(shims[0]!.pid);
  warnings.length = 0;

  // A spawn that the spawner will never see: it is stopped, then killed.
  process.kill(spawnerPid, 'SIGSTOP');
  const lost = spawner.spawn(['--job-id', 'LOST01', '--', 'true'], ENV);
  process.kill(spawnerPid, 'SIGKILL');
  await assert.rejects(lost, (error: unknown) => error instanceof JobStartError && error.step === 'spawner');

  // Each shim died with the spawner (its parent-death signal), its job with it.
  for (const [i, shim] of shims.entries()) {
    assert.deepEqual(await shim.exited, { code: null, signal: null });
    assert.match(await statuses[i]!, /^(running \d+\n)?$/);
  }
  assert.ok(warnings.some((w) => /shim spawner ended/.test(w.message)));

  const next = await spawner.spawn(['--job-id', 'AFTER1', '--', 'echo', 'again'], ENV);
  assert.equal(await readText(next.stdout), 'again\n');
  assert.deepEqual(await next.exited, { code: 0, signal: null });
  assert.ok(warnings.some((w) => /new shim spawner/.test(w.message)));
});

it('close() lets running shims finish, then the spawner exits; later spawns are refused', async () => {
  const spawner = await ShimSpawner.start(SPAWNER, SHIM, logger);
  const shim = await spawner.spawn(['--job-id', 'CLOSE1', '--', 'sleep', '1000'], ENV);
  const status = readText(shim.status);
  void readText(shim.stdout);
  assert.match(await firstStatusLine(shim), /^running \d+$/);
  await spawner.close(); // returns at once: a shim runs
  await assert.rejects(spawner.spawn(['--job-id', 'CLOSE2', '--', 'true'], ENV), JobStartError);
  shim.kill('SIGTERM'); // still forwarded: the spawner serves its running shims
  assert.match(await status, /^running \d+\nsignal 15\n$/);
  assert.deepEqual(await shim.exited, { code: 0, signal: null });
  await spawner.close(); // again: nothing more to do
});

it('does not keep a process alive by itself', () => {
  const script = [
    `const { ShimSpawner } = await import(${JSON.stringify(join(import.meta.dirname, '../../src/sandbox/spawner.ts'))});`,
    `await ShimSpawner.start(${JSON.stringify(SPAWNER)}, ${JSON.stringify(SHIM)});`,
    "console.log('started');",
  ].join('\n');
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'started\n');
});
