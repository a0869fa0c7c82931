import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PostFailedError, sendEmptyPost } from '../../../src/core/jobs/empty-post.js';
import { closedPortOrigin, TestHttpServer } from './http-test-server.js';

/** The test servers listen on loopback, which a job reaches only when allowed. */
const LOOPBACK = { allowPrivateDestinations: true } as const;

describe('sendEmptyPost', () => {
  const servers: TestHttpServer[] = [];
  const serve = async (respond: Parameters<typeof TestHttpServer.start>[0]): Promise<TestHttpServer> => {
    const server = await TestHttpServer.start(respond);
    servers.push(server);
    return server;
  };
  after(() => Promise.all(servers.map((server) => server.close())));

  it('sends a POST with an empty body and Content-Length 0, and returns the status', async () => {
    const server = await serve((response) => response.writeHead(201, 'Created').end('ignored'));
    const answer = await sendEmptyPost(new URL(`${server.origin}/hook?run=1`), LOOPBACK);
    assert.deepEqual(answer, { statusCode: 201, statusMessage: 'Created' });
    assert.equal(server.received.length, 1);
    const [request] = server.received;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, '/hook?run=1');
    assert.equal(request?.headers['content-length'], '0');
    assert.equal(request?.headers['transfer-encoding'], undefined);
    assert.equal(request?.body, '');
  });

  it('returns at the status line, without reading a body that never ends', async () => {
    const server = await serve((response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('the first part of an endless body');
    });
    assert.deepEqual(await sendEmptyPost(new URL(server.origin), LOOPBACK), {
      statusCode: 200,
      statusMessage: 'OK',
    });
  });

  it('fails with "connection refused" naming the URL', async () => {
    const url = new URL(`${await closedPortOrigin()}/`);
    await assert.rejects(
      sendEmptyPost(url, LOOPBACK),
      new PostFailedError(`connection refused: ${url.href}`),
    );
  });

  it('fails when the host name does not resolve', async () => {
    // .invalid never resolves (RFC 6761); without a resolver the lookup fails another way.
    const url = new URL('http://workernator-test.invalid/');
    await assert.rejects(
      sendEmptyPost(url),
      (error) =>
        error instanceof PostFailedError &&
        /^(unknown host 'workernator-test\.invalid'|could not resolve 'workernator-test\.invalid')/.test(
          error.message,
        ),
    );
  });

  it('gives up when no answer comes within the timeout', async () => {
    const server = await serve(() => {
      // Never answers; close() ends the connection.
    });
    const url = new URL(`${server.origin}/slow`);
    await assert.rejects(
      sendEmptyPost(url, { ...LOOPBACK, timeoutMs: 100 }),
      new PostFailedError(`no answer within 0.1 seconds: ${url.href}`),
    );
  });

  it('speaks TLS to an https URL', async () => {
    const server = await serve((response) => response.end());
    const url = new URL(server.origin.replace('http:', 'https:'));
    // A plain HTTP server cannot complete a TLS handshake: the failure shows TLS was attempted.
    await assert.rejects(
      sendEmptyPost(url, LOOPBACK),
      (error) => error instanceof PostFailedError && /EPROTO|TLS|SSL/.test(error.message),
    );
  });

  describe('reaches only public addresses unless allowed', () => {
    it('refuses a loopback address and sends nothing', async () => {
      const server = await serve((response) => response.end());
      const url = new URL(`${server.origin}/hook`);
      await assert.rejects(sendEmptyPost(url), (error) => {
        assert.ok(error instanceof PostFailedError);
        assert.equal(
          error.message,
          'refused to connect to 127.0.0.1, a loopback address: wait-then-send jobs reach only public ' +
            "addresses unless the server's operator allows the URL (setting allowedUrlPrefixes, flag " +
            `--allowed-url-prefix): ${url.href}`,
        );
        return true;
      });
      assert.equal(server.received.length, 0);
    });

    it('refuses a name that resolves to loopback (localhost), checked on the resolved address', async () => {
      const server = await serve((response) => response.end());
      const url = new URL(server.origin.replace('127.0.0.1', 'localhost'));
      await assert.rejects(sendEmptyPost(url), (error) => {
        assert.ok(error instanceof PostFailedError);
        assert.match(
          error.message,
          /^refused to connect to localhost \((127\.0\.0\.1|::1)\), a loopback address/,
        );
        return true;
      });
      assert.equal(server.received.length, 0);
      // Allowed, the same name reaches the server.
      assert.equal((await sendEmptyPost(url, LOOPBACK)).statusCode, 200);
      assert.equal(server.received.length, 1);
    });

    const refused: [string, string][] = [
      ['the cloud metadata endpoint', 'http://169.254.169.254/latest/meta-data/iam/'],
      ['a private address', 'http://10.1.2.3:8080/'],
      ['IPv6 loopback', 'https://[::1]/'],
      ['an IPv4-mapped loopback address', 'http://[::ffff:127.0.0.1]/'],
      ['the unspecified address (the host itself on Linux)', 'http://0.0.0.0:9/'],
      ['a multicast address', 'http://239.255.255.250:1900/'],
    ];
    for (const [what, href] of refused) {
      it(`refuses ${what} before connecting`, async () => {
        const url = new URL(href);
        const started = performance.now();
        await assert.rejects(
          sendEmptyPost(url),
          (error) => error instanceof PostFailedError && /^refused to connect to /.test(error.message),
        );
        // No connection was tried: nothing to wait for, not even for an address that drops packets.
        assert.ok(performance.now() - started < 1_000);
      });
    }
  });
});
