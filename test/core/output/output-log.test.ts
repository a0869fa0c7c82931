import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { endedLog, OutputLog } from '../../../src/core/output/output-log.js';
import { MAX_CHUNK_BYTES, offsetOfLastLines, readLog } from '../../../src/core/output/read-log.js';
import { collect, tempDir } from '../../helpers/temp-dir.js';

describe('output log', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let n = 0;
  const freshPath = () => join(dir.path, `log-${n++}.log`);

  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  it('gives 50 concurrent followers of a growing log bytes identical to the file', async () => {
    const log = await OutputLog.create(freshPath());
    const readers = Array.from({ length: 50 }, () => collect(readLog(log)));
    for (let i = 0; i < 200; i++) {
      await log.append(Buffer.from(`line ${i} ${'x'.repeat(i * 7)}\n`));
    }
    await log.append(Buffer.alloc(3 * MAX_CHUNK_BYTES + 5, 0x61));
    await log.finish();
    const file = await readFile(log.path);
    assert.equal(file.byteLength, log.size);
    const results = await Promise.all(readers);
    for (const result of results) assert.ok(result.equals(file));
  });

  it('gives a reader that joins after the end everything', async () => {
    const log = await OutputLog.create(freshPath());
    await log.append(Buffer.from('first\n'));
    await log.append(Buffer.from('second\n'));
    await log.finish();
    assert.equal((await collect(readLog(log))).toString(), 'first\nsecond\n');
    assert.equal((await collect(readLog(endedLog(log.path, log.size)))).toString(), 'first\nsecond\n');
  });

  it('keeps all 256 byte values', async () => {
    const log = await OutputLog.create(freshPath());
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const reader = collect(readLog(log));
    await log.append(all);
    await log.append(all.reverse());
    await log.finish();
    const expected = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), all]);
    assert.ok((await reader).equals(expected));
  });

  it('yields chunks of at most 64 KiB', async () => {
    const log = await OutputLog.create(freshPath());
    await log.append(Buffer.alloc(5 * MAX_CHUNK_BYTES + 1));
    await log.finish();
    const sizes: number[] = [];
    for await (const chunk of readLog(log)) sizes.push(chunk.byteLength);
    assert.deepEqual(sizes, [...Array.from({ length: 5 }, () => MAX_CHUNK_BYTES), 1]);
  });

  it('starts at an offset, and without follow ends at what is there now', async () => {
    const log = await OutputLog.create(freshPath());
    await log.append(Buffer.from('0123456789'));
    assert.equal((await collect(readLog(log, { offset: 4, follow: false }))).toString(), '456789');
    assert.equal((await collect(readLog(log, { offset: 99, follow: false }))).toString(), '');
    await log.finish();
  });

  it('wakes a waiting follower on each append and ends it at finish', async () => {
    const log = await OutputLog.create(freshPath());
    const reader = readLog(log)[Symbol.asyncIterator]();
    const first = reader.next();
    await log.append(Buffer.from('a'));
    assert.equal(Buffer.from((await first).value as Uint8Array).toString(), 'a');
    const second = reader.next();
    await log.append(Buffer.from('b'));
    assert.equal(Buffer.from((await second).value as Uint8Array).toString(), 'b');
    const end = reader.next();
    await log.finish();
    assert.equal((await end).done, true);
  });

  it('ends a waiting follower when its signal aborts', async () => {
    const log = await OutputLog.create(freshPath());
    const controller = new AbortController();
    const reader = readLog(log, { signal: controller.signal })[Symbol.asyncIterator]();
    const pending = reader.next();
    controller.abort(new Error('client went away'));
    await assert.rejects(pending, /client went away/);
    await log.append(Buffer.from('after'));
    await log.finish();
  });

  it('refuses to reuse an existing file', async () => {
    const path = freshPath();
    await writeFile(path, 'old');
    await assert.rejects(OutputLog.create(path), { code: 'EEXIST' });
  });
});

describe('offsetOfLastLines', () => {
  let dir: { path: string; remove: () => Promise<void> };
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  async function lastLines(text: string | Buffer, lines: number): Promise<string> {
    const path = join(dir.path, 'lines.log');
    await writeFile(path, text);
    const content = Buffer.from(text);
    return content.subarray(await offsetOfLastLines(path, content.byteLength, lines)).toString();
  }

  it('counts lines as tail -n does', async () => {
    assert.equal(await lastLines('a\nb\nc\n', 1), 'c\n');
    assert.equal(await lastLines('a\nb\nc\n', 2), 'b\nc\n');
    assert.equal(await lastLines('a\nb\nc', 1), 'c');
    assert.equal(await lastLines('a\nb\nc', 5), 'a\nb\nc');
    assert.equal(await lastLines('a\n\n\n', 2), '\n\n');
    assert.equal(await lastLines('', 3), '');
    assert.equal(await lastLines('a\nb\n', 0), '');
  });

  it('finds lines across 64 KiB blocks', async () => {
    const long = 'y'.repeat(200_000);
    assert.equal(await lastLines(`x\n${long}\nz\n`, 2), `${long}\nz\n`);
    assert.equal(await lastLines(`x\n${long}\nz\n`, 3), `x\n${long}\nz\n`);
  });
});
