/**
 * Hostile connections on the gRPC port: a client that never finishes its TLS handshake is closed at
 * the handshake timeout. The test with 1000 idle connections and garbage bytes is
 * test/hardening/connections.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const HANDSHAKE_TIMEOUT_MS = 1_500;

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
  before(async () => {
    t = await startTestServer({ config: { handshakeTimeout: HANDSHAKE_TIMEOUT_MS } });
  });
  after(async () => {
    await t.close();
  });

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
});
