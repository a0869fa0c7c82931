import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PostFailedError, sendEmptyPost } from '../../../src/core/jobs/empty-post.js';
import { closedPortOrigin, TestHttpServer } from './http-test-server.js';

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
    const answer = await sendEmptyPost(new URL(`${server.origin}/hook?run=1`));
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
    assert.deepEqual(await sendEmptyPost(new URL(server.origin)), { statusCode: 200, statusMessage: 'OK' });
  });

  it('fails with "connection refused" naming the URL', async () => {
    const url = new URL(`${await closedPortOrigin()}/`);
    await assert.rejects(sendEmptyPost(url), new PostFailedError(`connection refused: ${url.href}`));
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
      sendEmptyPost(url, 100),
      new PostFailedError(`no answer within 0.1 seconds: ${url.href}`),
    );
  });

  it('speaks TLS to an https URL', async () => {
    const server = await serve((response) => response.end());
    const url = new URL(server.origin.replace('http:', 'https:'));
    // A plain HTTP server cannot complete a TLS handshake: the failure shows TLS was attempted.
    await assert.rejects(
      sendEmptyPost(url),
      (error) => error instanceof PostFailedError && /EPROTO|TLS|SSL/.test(error.message),
    );
  });
});
