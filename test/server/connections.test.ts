/**
 * Hostile connections on the gRPC port: a client that never finishes its TLS handshake is closed at
 * the handshake timeout; 1000 idle TCP connections and garbage bytes (random, and HTTP/1) do not stop
 * the server answering other clients meanwhile.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const HANDSHAKE_TIMEOUT_MS = 1_500;
/** Long enough for the idle connections to be still open while the calls are made, even on a busy machine. */
const IDLE_TEST_HANDSHAKE_TIMEOUT_MS = 6_000;

/** A TCP connection to the port, and a promise of when (ms after connecting) the server closed it. */
async function open(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {}); // a reset is one way of being closed
  await once(socket, 'connect');
  const began = performance.now();
  const closed = once(socket, 'close').then(() => performance.now() - began);
  return { socket, closed };
}

describe('hostile connections', () => {
  let t: TestServer;
  let idleTest: TestServer;
  before(async () => {
    t = await startTestServer({ config: { handshakeTimeout: HANDSHAKE_TIMEOUT_MS } });
    idleTest = await startTestServer({ config: { handshakeTimeout: IDLE_TEST_HANDSHAKE_TIMEOUT_MS } });
  });
  after(async () => {
    await t.close();
    await idleTest.close();
  });

  /** A real client call, with a deadline: the server is answering. */
  async function answers(server: TestServer): Promise<number> {
    const began = performance.now();
    await server.as.alice.list({}, { deadline: Date.now() + 2_000 });
    return performance.now() - began;
  }

  it('closes a connection that sends nothing, or half a ClientHello, at the handshake timeout', async () => {
    const silent = await open(t.port);
    const partial = await open(t.port);
    // A TLS record header announcing a 512-byte handshake message, and then nothing more.
    partial.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    for (const connection of [silent, partial]) {
      const ms = await connection.closed;
      assert.ok(ms >= HANDSHAKE_TIMEOUT_MS - 100, `closed too early, after ${ms} ms`);
      assert.ok(ms < HANDSHAKE_TIMEOUT_MS + 3_000, `closed only after ${ms} ms`);
    }
  });

  it('keeps answering other clients with 1000 idle connections and garbage on the port', async () => {
    await answers(idleTest);
    // In batches well under the listen backlog (511): a connection the kernel completes but cannot
    // queue for accept() would look open to this idle client forever, never reaching the server.
    const idle: Awaited<ReturnType<typeof open>>[] = [];
    for (let batch = 0; batch < 10; batch++) {
      idle.push(...(await Promise.all(Array.from({ length: 100 }, () => open(idleTest.port)))));
    }

    const garbage = await Promise.all(Array.from({ length: 50 }, () => open(idleTest.port)));
    // Random bytes that do not start like a TLS record (whose first byte is 0x14-0x18): one that did
    // could announce a record longer than what follows, and would rightly wait for the timeout.
    const noise = () => Buffer.concat([Buffer.from([0xff]), randomBytes(4095)]);
    garbage.forEach(({ socket }, i) =>
      socket.write(i % 2 === 0 ? noise() : 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    );

    // Garbage is refused at once, long before the handshake timeout.
    for (const { closed } of garbage)
      assert.ok((await closed) < IDLE_TEST_HANDSHAKE_TIMEOUT_MS, 'garbage was refused at once');

    // Meanwhile, and while the 1000 idle connections are still open, calls are answered promptly.
    for (let i = 0; i < 5; i++) {
      const ms = await answers(idleTest);
      assert.ok(ms < 1_000, `a call took ${ms} ms`);
    }
    assert.ok(
      idle.every(({ socket }) => !socket.destroyed),
      'the idle connections are still open',
    );

    // Then every idle connection is closed by the handshake timeout, and the server still answers.
    const closedAfter = await Promise.race([
      Promise.all(idle.map(({ closed }) => closed)),
      new Promise<never>((_, reject) => {
        const open = () => idle.filter(({ socket }) => !socket.destroyed).length;
        setTimeout(
          () => reject(new Error(`${open()} idle connections still open`)),
          IDLE_TEST_HANDSHAKE_TIMEOUT_MS + 5_000,
        ).unref();
      }),
    ]);
    assert.ok(Math.max(...closedAfter) < IDLE_TEST_HANDSHAKE_TIMEOUT_MS + 5_000);
    await answers(idleTest);
  });
});
