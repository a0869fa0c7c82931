/**
 * The writing side of a Tail stream, without a network: messages encoded in place are the bytes the
 * generated encoder makes, at most MAX_IN_FLIGHT messages wait for grpc-js, buffers are reused only
 * once grpc-js is done with them, and a cancelled call ends the wait.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { MAX_CHUNK_BYTES } from '../../src/core/output/read-log.js';
import { TailJobResponse } from '../../src/gen/workernator/v1/workernator.js';
import { MAX_IN_FLIGHT, TailWriter } from '../../src/server/methods/tail.js';
import {
  EncodedTailResponse,
  HEADER_ROOM,
  serializeTailResponse,
} from '../../src/server/wire/tail-response.js';

type WriteCallback = (error?: Error | null) => void;

/** Just what TailWriter uses of a grpc-js call: write(message, callback), writableNeedDrain, 'drain'. */
class FakeCall extends EventEmitter {
  readonly written: Buffer[] = [];
  readonly callbacks: WriteCallback[] = [];
  writableNeedDrain = false;

  write(message: TailJobResponse, callback: WriteCallback): boolean {
    // grpc-js serializes (and copies) the message when it is written.
    this.written.push(Buffer.from(serializeTailResponse(message)));
    this.callbacks.push(callback);
    return true;
  }

  sendOne(): void {
    this.callbacks.shift()?.();
  }
}

function writerFor(call: FakeCall, signal = new AbortController().signal): TailWriter {
  return new TailWriter(call as unknown as ConstructorParameters<typeof TailWriter>[0], signal, () => {});
}

function fill(writer: TailWriter, length: number, seed: number): Uint8Array {
  const chunk = writer.take().subarray(HEADER_ROOM, HEADER_ROOM + length);
  for (let i = 0; i < length; i++) chunk[i] = (i + seed) & 0xff;
  return chunk;
}

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('Tail response encoding', () => {
  it('encodes in place exactly as the generated encoder does, for every length prefix size', () => {
    for (const length of [1, 127, 128, 16_383, 16_384, MAX_CHUNK_BYTES]) {
      const buffer = Buffer.alloc(HEADER_ROOM + length);
      const chunk = buffer.subarray(HEADER_ROOM);
      for (let i = 0; i < length; i++) chunk[i] = i & 0xff;
      const expected = Buffer.from(TailJobResponse.encode({ data: Buffer.from(chunk) }).finish());
      const message = EncodedTailResponse.inPlace(chunk);
      assert.ok(serializeTailResponse(message).equals(expected), `length ${length}`);
      assert.ok(message.data.equals(chunk));
      assert.ok(TailJobResponse.decode(serializeTailResponse(message)).data.equals(chunk));
    }
  });

  it('serializes a plain message with the generated encoder', () => {
    const message = { data: Buffer.from('plain') };
    assert.ok(serializeTailResponse(message).equals(Buffer.from(TailJobResponse.encode(message).finish())));
  });

  it('refuses a chunk without room for its header', () => {
    assert.throws(() => EncodedTailResponse.inPlace(Buffer.alloc(10)), RangeError);
  });
});

describe('Tail writer', () => {
  it(`keeps at most ${MAX_IN_FLIGHT} messages in flight and waits for grpc-js to send one`, async () => {
    const call = new FakeCall();
    const writer = writerFor(call);
    for (let i = 0; i < MAX_IN_FLIGHT - 1; i++) await writer.write(fill(writer, 100, i));
    const full = writer.write(fill(writer, 100, 9));
    assert.equal(await settled(full), false, 'the write that fills the window waits');
    assert.equal(call.callbacks.length, MAX_IN_FLIGHT);
    call.sendOne();
    assert.equal(await settled(full), true);
    const flushed = writer.flushed();
    assert.equal(await settled(flushed), false);
    while (call.callbacks.length > 0) call.sendOne();
    await flushed;
  });

  it('reuses a buffer only after its message was sent, and sends the right bytes', async () => {
    const call = new FakeCall();
    const writer = writerFor(call);
    const first = fill(writer, 1000, 1);
    await writer.write(first);
    const second = writer.take();
    assert.notEqual(second.buffer, first.buffer, 'a buffer in flight is not handed out again');
    call.sendOne();
    assert.equal(writer.take().buffer, first.buffer, 'a sent buffer is reused');
    const decoded = TailJobResponse.decode(call.written[0] ?? Buffer.alloc(0)).data;
    assert.ok(decoded.equals(Buffer.from(Array.from({ length: 1000 }, (_, i) => (i + 1) & 0xff))));
  });

  it('waits for drain when grpc-js asks for it', async () => {
    const call = new FakeCall();
    const writer = writerFor(call);
    call.writableNeedDrain = true;
    const write = writer.write(fill(writer, 10, 0));
    assert.equal(await settled(write), false);
    call.writableNeedDrain = false;
    call.emit('drain');
    await write;
  });

  it('ends a wait when the stream is cancelled (grpc-js never calls back on a cancelled call)', async () => {
    const call = new FakeCall();
    const controller = new AbortController();
    const writer = writerFor(call, controller.signal);
    for (let i = 0; i < MAX_IN_FLIGHT - 1; i++) await writer.write(fill(writer, 10, i));
    const stuck = writer.write(fill(writer, 10, 0));
    controller.abort(new Error('gone'));
    await assert.rejects(stuck, /gone/);
    assert.equal(call.listenerCount('drain'), 0);
  });

  it('fails the stream when grpc-js reports a write error', async () => {
    const call = new FakeCall();
    const writer = writerFor(call);
    for (let i = 0; i < MAX_IN_FLIGHT - 1; i++) await writer.write(fill(writer, 10, i));
    const waiting = writer.write(fill(writer, 10, 0));
    call.callbacks.shift()?.(new Error('write failed'));
    await assert.rejects(waiting, /write failed/);
  });
});
