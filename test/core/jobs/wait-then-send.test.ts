import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import { MAX_WAIT_SECONDS, runWaitThenSend, waitThenSendJob } from '../../../src/core/jobs/wait-then-send.js';
import type { WaitThenSendArguments } from '../../../src/core/types.js';
import { closedPortOrigin, TestHttpServer } from './http-test-server.js';
import { CapturedOutput, FIXED_STAMP, fixedClock } from './job-output.js';

const args = (url: unknown, waitSeconds: unknown = 0): WaitThenSendArguments =>
  ({ type: 'wait-then-send', url, waitSeconds }) as unknown as WaitThenSendArguments;

function assertInvalid(input: WaitThenSendArguments, field: string, reason: RegExp): void {
  assert.throws(
    () => waitThenSendJob.validate(input),
    (error) => {
      assert.ok(error instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.match(error.message, reason);
      return true;
    },
  );
}

/** The test servers listen on loopback, which a job reaches only when allowed. */
const LOOPBACK = { allowPrivateDestinations: true } as const;

const withoutStamps = (out: CapturedOutput): string[] =>
  out.lines.map((line) => line.slice(FIXED_STAMP.length + 1));

describe('wait-then-send validation', () => {
  it('accepts http and https URLs and returns them normalized', () => {
    assert.deepEqual(
      waitThenSendJob.validate({ ...args('HTTP://Example.COM', 5), extra: 1 } as WaitThenSendArguments),
      {
        type: 'wait-then-send',
        url: 'http://example.com/',
        waitSeconds: 5,
      },
    );
    assert.equal(
      waitThenSendJob.validate(args('https://example.com:8443/a b?q=1')).url,
      'https://example.com:8443/a%20b?q=1',
    );
  });

  it(`accepts waits from 0 to ${MAX_WAIT_SECONDS} seconds`, () => {
    assert.equal(waitThenSendJob.validate(args('http://example.com/', 0)).waitSeconds, 0);
    assert.equal(waitThenSendJob.validate(args('http://example.com/', 86_400)).waitSeconds, 86_400);
  });

  const badUrls: [string, unknown, RegExp][] = [
    ['a number', 42, /must be a string/],
    ['nothing', undefined, /must be a string/],
    ['a relative URL', '/hook', /is not a valid absolute URL/],
    ['garbage', 'http://', /is not a valid absolute URL/],
    ['ftp', 'ftp://example.com/', /must use http or https, not ftp/],
    ['file', 'file:///etc/passwd', /must use http or https, not file/],
    ['javascript', 'javascript:alert(1)', /must use http or https, not javascript/],
    ['a user and password', 'http://user:secret@example.com/', /must not contain credentials/],
    ['a user', 'https://token@example.com/', /must not contain credentials/],
    ['2049 characters', `http://example.com/${'a'.repeat(2049 - 19)}`, /at most 2048 characters, got 2049/],
    [
      '2048 characters that grow when normalized',
      `http://example.com/${' '.repeat(2048 - 20)}x`,
      /once normalized/,
    ],
  ];
  for (const [what, url, reason] of badUrls) {
    it(`refuses a URL that is ${what}`, () => assertInvalid(args(url), 'url', reason));
  }

  it('accepts a URL of exactly 2048 characters', () => {
    const url = `http://example.com/${'a'.repeat(2048 - 19)}`;
    assert.equal(url.length, 2048);
    assert.equal(waitThenSendJob.validate(args(url)).url, url);
  });

  for (const waitSeconds of [-1, 86_401, 1.5, '5', Number.NaN, null]) {
    it(`refuses waitSeconds ${String(waitSeconds)}`, () =>
      assertInvalid(args('http://example.com/', waitSeconds), 'waitSeconds', /integer from 0 to 86400/));
  }
});

describe('wait-then-send job', () => {
  const servers: TestHttpServer[] = [];
  const serve = async (status: number): Promise<TestHttpServer> => {
    const server = await TestHttpServer.start((response) => response.writeHead(status).end());
    servers.push(server);
    return server;
  };
  after(() => Promise.all(servers.map((server) => server.close())));

  it('is named Wait Then Send', () => {
    assert.equal(waitThenSendJob.displayName, 'Wait Then Send');
  });

  it('waits the whole time in one wait, then POSTs and completes', async () => {
    const server = await serve(200);
    const url = `${server.origin}/hook`;
    const out = new CapturedOutput();
    const waits: number[] = [];
    let endWait = (): void => {};
    const job = runWaitThenSend(args(url, 5), out, {
      ...LOOPBACK,
      clock: fixedClock,
      wait: (milliseconds) => {
        waits.push(milliseconds);
        return new Promise<void>((resolve) => (endWait = resolve));
      },
    });
    // Until the wait ends, nothing is sent and nothing more is written.
    await Promise.resolve();
    assert.deepEqual(waits, [5000]);
    assert.deepEqual(withoutStamps(out), [
      "[JOB] Starting job 'Wait Then Send'",
      `[WAIT] Waiting 5 seconds before sending a POST request to ${url}`,
    ]);
    endWait();
    assert.equal(await job, 0);
    assert.equal(server.received.length, 1);
    assert.equal(server.received[0]?.method, 'POST');
    assert.deepEqual(withoutStamps(out).slice(2), [`[SEND] POST ${url} answered 200 OK`, '[JOB] Complete']);
  });

  it('really waits with its own timer', async () => {
    const server = await serve(204);
    const out = new CapturedOutput();
    assert.equal(await runWaitThenSend(args(server.origin, 1), out, { ...LOOPBACK, clock: fixedClock }), 0);
    assert.deepEqual(withoutStamps(out), [
      "[JOB] Starting job 'Wait Then Send'",
      `[WAIT] Waiting 1 second before sending a POST request to ${server.origin}/`,
      `[SEND] POST ${server.origin}/ answered 204 No Content`,
      '[JOB] Complete',
    ]);
  });

  it('fails with exit 1 on a status that is not 2xx', async () => {
    for (const status of [404, 500, 302]) {
      const server = await serve(status);
      const out = new CapturedOutput();
      assert.equal(await runWaitThenSend(args(server.origin), out, { ...LOOPBACK, clock: fixedClock }), 1);
      const statusText = { 404: '404 Not Found', 500: '500 Internal Server Error', 302: '302 Found' }[status];
      assert.deepEqual(withoutStamps(out).slice(2), [
        `[SEND] POST ${server.origin}/ answered ${statusText}`,
        `[ERROR] the server answered ${statusText}, not a 2xx status`,
        '[JOB] Failed',
      ]);
    }
  });

  it('fails with exit 1 when the connection is refused', async () => {
    const url = `${await closedPortOrigin()}/`;
    const out = new CapturedOutput();
    assert.equal(await runWaitThenSend(args(url), out, { ...LOOPBACK, clock: fixedClock }), 1);
    assert.deepEqual(withoutStamps(out), [
      "[JOB] Starting job 'Wait Then Send'",
      `[WAIT] Waiting 0 seconds before sending a POST request to ${url}`,
      `[ERROR] connection refused: ${url}`,
      '[JOB] Failed',
    ]);
  });

  it('fails with exit 1 when no answer comes in time', async () => {
    const server = await TestHttpServer.start(() => {});
    servers.push(server);
    const out = new CapturedOutput();
    assert.equal(
      await runWaitThenSend(args(server.origin), out, {
        ...LOOPBACK,
        clock: fixedClock,
        requestTimeoutMs: 50,
      }),
      1,
    );
    assert.deepEqual(withoutStamps(out).slice(2), [
      `[ERROR] no answer within 0.05 seconds: ${server.origin}/`,
      '[JOB] Failed',
    ]);
  });

  it('reports invalid arguments when run without validation', async () => {
    const out = new CapturedOutput();
    assert.equal(await runWaitThenSend(args('ftp://example.com/'), out, { clock: fixedClock }), 1);
    assert.deepEqual(withoutStamps(out).slice(1), [
      '[ERROR] url: must use http or https, not ftp',
      '[JOB] Failed',
    ]);
  });

  it('refuses a loopback or link-local destination by default, says how to allow it, and sends nothing', async () => {
    const server = await serve(200);
    for (const url of [`${server.origin}/hook`, server.origin.replace('127.0.0.1', 'localhost')]) {
      const out = new CapturedOutput();
      assert.equal(await runWaitThenSend(args(url), out, { clock: fixedClock }), 1);
      const [error, end] = withoutStamps(out).slice(2);
      assert.match(
        error ?? '',
        /^\[ERROR\] refused to connect to (127\.0\.0\.1|localhost \(.*\)), a loopback address: /,
      );
      assert.match(error ?? '', /unless the server's operator allows the URL \(setting allowedUrlPrefixes/);
      assert.equal(end, '[JOB] Failed');
    }
    const out = new CapturedOutput();
    const metadata = 'http://169.254.169.254/latest/meta-data/';
    assert.equal(await runWaitThenSend(args(metadata), out, { clock: fixedClock }), 1);
    assert.match(
      withoutStamps(out)[2] ?? '',
      /^\[ERROR\] refused to connect to 169\.254\.169\.254, a link-local address: /,
    );
    assert.equal(server.received.length, 0);
  });

  it('runs through its definition, with what it was granted', async () => {
    const server = await serve(200);
    const refused = new CapturedOutput();
    assert.equal(await waitThenSendJob.run?.(args(server.origin), refused), 1);
    assert.equal(
      await waitThenSendJob.run?.(args(server.origin), refused, { privateDestinations: false }),
      1,
    );
    assert.equal(server.received.length, 0);
    const out = new CapturedOutput();
    assert.equal(await waitThenSendJob.run?.(args(server.origin), out, { privateDestinations: true }), 0);
    assert.equal(server.received.length, 1);
  });
});
