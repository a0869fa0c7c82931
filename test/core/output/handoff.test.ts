/**
 * The output log's memory for followers (the handoff) and its queued appends: a follower at the head
 * is given new output from memory, one that lags reads the file, both get every byte in order; the
 * memory is bounded and kept only while someone follows; the pump bounds what waits for the file.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { OutputLog, RECENT_BYTES, type LogSource } from '../../../src/core/output/output-log.js';
import { MAX_PENDING_BYTES, pumpOutput } from '../../../src/core/output/pump.js';
import { MAX_CHUNK_BYTES, readLog, type ChunkBuffers } from '../../../src/core/output/read-log.js';
import { collect, tempDir } from '../../helpers/temp-dir.js';

/** The log, counting the reads served from its memory. */
function counting(log: OutputLog): { source: LogSource; hits: () => number } {
  let hits = 0;
  const source: LogSource = {
    path: log.path,
    get size() {
      return log.size;
    },
    get ended() {
      return log.ended;
    },
    changedSince: (known, signal) => log.changedSince(known, signal),
    recent: (position) => {
      const bytes = log.recent(position);
      if (bytes !== undefined) hits++;
      return bytes;
    },
    attach: () => log.attach(),
  };
  return { source, hits: () => hits };
}

function pattern(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

describe('output log handoff', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let n = 0;
  const freshPath = () => join(dir.path, `handoff-${n++}.log`);

  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  it('hands a follower at the head what was just appended, from memory, byte for byte', async () => {
    const log = await OutputLog.create(freshPath());
    const { source, hits } = counting(log);
    const reader = collect(readLog(source));
    const parts = Array.from({ length: 20 }, (_, i) => pattern(1000 + i * 997, i));
    for (const part of parts) {
      await log.append(part);
      // Let the follower catch up, so it is at the head when the next append comes.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await log.finish();
    const got = await reader;
    assert.ok(got.equals(Buffer.concat(parts)));
    assert.ok(got.equals(await readFile(log.path)));
    assert.ok(hits() >= parts.length - 1, `only ${hits()} chunks came from memory`);
  });

  it('has a follower that lags more than the memory holds read the file, and still get every byte in order', async () => {
    const log = await OutputLog.create(freshPath());
    const { source, hits } = counting(log);
    const iterator = readLog(source)[Symbol.asyncIterator]();
    const parts = Array.from({ length: 12 }, (_, i) => pattern(MAX_CHUNK_BYTES, i + 1));
    const firstRead = iterator.next(); // registers, then waits for output
    await log.append(parts[0] ?? Buffer.alloc(0));
    const first = await firstRead; // the follower now holds its first chunk and reads no further
    for (const part of parts.slice(1)) await log.append(part); // 704 KiB > RECENT_BYTES ahead of it
    await log.finish();
    const chunks: Uint8Array[] = first.done === true ? [] : [first.value];
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      chunks.push(next.value);
    }
    assert.ok(Buffer.concat(chunks).equals(Buffer.concat(parts)));
    // The first part is long gone from memory: it came from the file.
    assert.ok(hits() < parts.length, `${hits()} of ${parts.length} chunks from memory`);
  });

  it('keeps at most RECENT_BYTES in memory, only while the log is followed', async () => {
    const log = await OutputLog.create(freshPath());
    await log.append(pattern(100_000, 1));
    assert.equal(log.recentBytes, 0, 'a log nobody follows keeps nothing');
    const controller = new AbortController();
    const reader = collect(readLog(log, { signal: controller.signal })).catch(() => undefined);
    for (let i = 0; i < 10; i++) {
      await log.append(pattern(200_000, i));
      assert.ok(log.recentBytes <= RECENT_BYTES, `${log.recentBytes} bytes kept`);
    }
    assert.equal(log.recentBytes, RECENT_BYTES);
    controller.abort();
    await reader;
    assert.equal(log.recentBytes, 0, 'the memory goes with the last follower');
    await log.finish();
  });

  it('gives a tail that does not follow nothing from memory and registers nothing', async () => {
    const log = await OutputLog.create(freshPath());
    await log.append(Buffer.from('abc'));
    const got = await collect(readLog(log, { follow: false }));
    assert.equal(got.toString(), 'abc');
    assert.equal(log.recentBytes, 0);
    await log.finish();
  });

  it('reads into the buffers of the consumer, after their headroom, on both paths', async () => {
    const log = await OutputLog.create(freshPath());
    await log.append(pattern(3 * MAX_CHUNK_BYTES, 7)); // before the follower: from the file
    const taken: Uint8Array[] = [];
    const buffers: ChunkBuffers = {
      headroom: 6,
      take: () => {
        const buffer = new Uint8Array(6 + MAX_CHUNK_BYTES);
        taken.push(buffer);
        return buffer;
      },
    };
    const chunks: Uint8Array[] = [];
    const reading = (async () => {
      for await (const chunk of readLog(log, { buffers })) chunks.push(Buffer.from(chunk));
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await log.append(pattern(1000, 8)); // to the follower at the head: from memory
    await log.finish();
    await reading;
    assert.ok(Buffer.concat(chunks).equals(await readFile(log.path)));
    assert.equal(taken.length, chunks.length);
    // Each chunk sat in its buffer right after the headroom (checked on the copies taken above).
    taken.forEach((buffer, i) => {
      const chunk = chunks[i];
      assert.ok(chunk !== undefined);
      assert.ok(Buffer.from(buffer.subarray(6, 6 + chunk.byteLength)).equals(chunk));
    });
  });

  it('writes appends made without waiting in order, together, and settles each', async () => {
    const log = await OutputLog.create(freshPath());
    const parts = Array.from({ length: 300 }, (_, i) => pattern(1 + ((i * 7919) % 5000), i));
    const appends = parts.map((part) => log.append(part));
    assert.ok(log.pendingBytes > 0);
    await Promise.all(appends);
    assert.equal(log.pendingBytes, 0);
    assert.equal(
      log.size,
      parts.reduce((sum, part) => sum + part.byteLength, 0),
    );
    await log.finish();
    assert.ok((await readFile(log.path)).equals(Buffer.concat(parts)));
  });

  it('finish() waits for queued appends, and appends after it reject', async () => {
    const log = await OutputLog.create(freshPath());
    const appended = log.append(pattern(500_000, 3));
    await log.finish();
    await appended;
    assert.equal((await readFile(log.path)).byteLength, 500_000);
    await assert.rejects(log.append(Buffer.from('late')), /closed/);
  });

  it('has the pump stop reading while MAX_PENDING_BYTES wait for the file', async () => {
    const log = await OutputLog.create(freshPath());
    let most = 0;
    const parts = Array.from({ length: 64 }, (_, i) => pattern(MAX_CHUNK_BYTES, i));
    const output = Readable.from(
      (function* () {
        for (const part of parts) {
          most = Math.max(most, log.pendingBytes);
          yield part;
        }
      })(),
      { objectMode: false, highWaterMark: 1 },
    );
    const problems: unknown[] = [];
    await pumpOutput(output, log, 1024 ** 3, (problem) => problems.push(problem));
    assert.deepEqual(problems, []);
    assert.equal(log.pendingBytes, 0);
    assert.ok(most <= MAX_PENDING_BYTES + MAX_CHUNK_BYTES, `${most} bytes were waiting for the file`);
    await log.finish();
    assert.ok((await readFile(log.path)).equals(Buffer.concat(parts)));
  });

  it('has the pump stop at the cap even with appends in flight', async () => {
    const log = await OutputLog.create(freshPath());
    const parts = Array.from({ length: 10 }, (_, i) => pattern(MAX_CHUNK_BYTES, i));
    const cap = 5 * MAX_CHUNK_BYTES + 123;
    const problems: { kind: string }[] = [];
    await pumpOutput(Readable.from(parts), log, cap, (problem) => problems.push(problem));
    assert.deepEqual(
      problems.map((p) => p.kind),
      ['cap-reached'],
    );
    assert.equal(log.size, cap);
    await log.finish();
    assert.ok((await readFile(log.path)).equals(Buffer.concat(parts).subarray(0, cap)));
  });
});
