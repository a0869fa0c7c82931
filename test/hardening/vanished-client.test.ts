/**
 * Keepalive (keepaliveInterval, keepaliveTimeout): a client that vanishes without closing its TCP
 * connection (its host died, the network split) while a following Tail is open on a quiet job. The
 * stream sends nothing, so without pings the server would never notice, and the Tail would hold its
 * slot (maxTailsPerIdentity) for good.
 *
 * A TCP proxy in this process stands between a client and the real server (mutual TLS, in-process).
 * "Freezing" it stops forwarding in both directions but keeps both sockets open: what the server sees
 * of a vanished host. With maxTailsPerIdentity 1, the client's Tail holds alice's only slot (a direct
 * Tail of hers is RESOURCE_EXHAUSTED); after the freeze the server's ping goes unanswered, the server
 * closes the connection within keepaliveInterval + keepaliveTimeout, the Tail ends and a direct Tail
 * of hers succeeds. A control server with the default interval (1 min) still holds the slot after
 * the same wait. And a healthy client that answers the pings keeps its connection: its Tail stream
 * and its idle connection outlive several intervals, with the pings seen crossing the proxy, the
 * channel READY throughout and no second connection through the proxy.
 *
 * Every wait is bounded and fails saying what was pending; every socket, client and job is cleaned
 * up in finally blocks and after hooks.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  connectivityState,
  Metadata,
  status,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  JobServiceClient,
  JobTailRequest,
  JobType,
  type TailJobResponse,
} from '../../src/gen/workernator/v1/workernator.js';
import { createClientCredentials } from '../../src/pki/client-credentials.js';
import { tlsLayout } from '../../src/pki/layout.js';
import { RpcClient } from '../server/helpers/rpc-client.js';
import { startTestServer, type TestServer } from '../server/helpers/test-server.js';

const KEEPALIVE_INTERVAL_MS = 1_000;
const KEEPALIVE_TIMEOUT_MS = 1_000;
/** Slack for the server's timers, the proxy and this event loop (the server runs in this process). */
const SLACK_MS = 3_000;
/** How long healthy connections are watched: several keepalive intervals. */
const HEALTHY_WATCH_MS = 4.5 * KEEPALIVE_INTERVAL_MS;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a failure naming what was still pending after `ms`. */
async function within<T>(ms: number, promise: Promise<T>, pending: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${pending}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 20 ms for up to `ms`; fails with `pending()` if it never holds. */
async function until(ms: number, check: () => boolean, pending: () => string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) assert.fail(`timed out after ${ms} ms: ${pending()}`);
    await sleep(20);
  }
}

interface Flow {
  bytes: number;
  /** Socket reads: each keepalive PING (and each ACK) arrives in a read of its own. */
  reads: number;
}

/** A proxied connection: the client's socket (accepted here) and this end's socket to the server. */
interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Resolves when the server has closed the upstream socket. */
  readonly upstreamClosed: Promise<void>;
  upstreamOpen: boolean;
}

/**
 * A TCP proxy on 127.0.0.1 to the server's port. Until it is frozen it forwards bytes and closes,
 * and counts both. Frozen, it keeps reading both sockets (so it sees the server close its side) but
 * drops what it reads and forwards no close: neither end hears from the other again.
 */
class FreezableProxy {
  readonly #listener: NetServer;
  readonly #target: number;
  readonly pairs: Pair[] = [];
  readonly toClient: Flow = { bytes: 0, reads: 0 };
  readonly toServer: Flow = { bytes: 0, reads: 0 };
  #frozen = false;

  private constructor(listener: NetServer, target: number) {
    this.#listener = listener;
    this.#target = target;
    listener.on('connection', (socket: Socket) => this.#accept(socket));
  }

  static async start(target: number): Promise<FreezableProxy> {
    const listener = createServer();
    const proxy = new FreezableProxy(listener, target);
    listener.listen(0, '127.0.0.1');
    await within(5_000, once(listener, 'listening'), 'the proxy to listen');
    return proxy;
  }

  get port(): number {
    const address = this.#listener.address();
    assert.ok(address !== null && typeof address === 'object');
    return address.port;
  }

  /** Stops forwarding in both directions; both sockets of every connection stay open. */
  freeze(): void {
    this.#frozen = true;
  }

  #accept(client: Socket): void {
    const upstream = connect({ host: '127.0.0.1', port: this.#target });
    client.on('error', () => {});
    upstream.on('error', () => {});
    const pair: Pair = {
      client,
      upstream,
      upstreamOpen: true,
      upstreamClosed: once(upstream, 'close').then(() => {
        pair.upstreamOpen = false;
      }),
    };
    this.pairs.push(pair);
    const forward = (from: Socket, to: Socket, flow: Flow) => {
      from.on('data', (chunk: Buffer) => {
        flow.bytes += chunk.length;
        flow.reads += 1;
        if (!this.#frozen) to.write(chunk);
      });
      from.on('end', () => {
        if (!this.#frozen) to.end();
      });
      from.on('close', () => {
        if (!this.#frozen) to.destroy();
      });
    };
    forward(client, upstream, this.toServer);
    forward(upstream, client, this.toClient);
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    const closed = once(this.#listener, 'close');
    this.#listener.close();
    await within(5_000, closed, 'the proxy listener to close');
  }
}

/** A client of `name` to `port` with a subchannel (connection) of its own, never shared with another client. */
async function clientTo(tlsDir: string, name: string, port: number): Promise<JobServiceClient> {
  const layout = tlsLayout(tlsDir);
  const files = layout.client(name);
  const credentials = createClientCredentials({
    caPem: await readFile(layout.serverCaCert),
    certPem: await readFile(files.cert),
    keyPem: await readFile(files.key),
  });
  return new JobServiceClient(`localhost:${port}`, credentials, { 'grpc.use_local_subchannel_pool': 1 });
}

/** A following Tail of `id`, with what it received and how it ended. */
interface OpenTail {
  readonly stream: ClientReadableStream<TailJobResponse>;
  readonly received: () => string;
  readonly ended: () => string | undefined;
  /** Resolves once the job's "started" line has arrived; rejects if the stream ends first. */
  readonly started: Promise<void>;
}

function openTail(client: JobServiceClient, id: string): OpenTail {
  const stream = client.tail(JobTailRequest.fromPartial({ id }), new Metadata());
  let text = '';
  let ended: string | undefined;
  let markStarted: () => void = () => {};
  let endedFirst: (reason: Error) => void = () => {};
  const started = new Promise<void>((resolve, reject) => {
    markStarted = resolve;
    endedFirst = reject;
  });
  started.catch(() => {}); // observed by untilStarted when it matters
  stream.on('data', (message: TailJobResponse) => {
    text += message.data.toString();
    if (text.includes('started\n')) markStarted();
  });
  const end = (how: string) => {
    ended ??= how;
    endedFirst(new Error(`the Tail ended before its first line: ${how}`));
  };
  stream.on('error', (error: ServiceError) => end(`error ${status[error.code]}: ${error.details}`));
  stream.on('end', () => end('end'));
  return { stream, received: () => text, ended: () => ended, started };
}

/** Waits for a Tail's first line, which shows the stream is open end to end. */
async function untilStarted(tail: OpenTail, what: string): Promise<void> {
  await within(10_000, tail.started, `${what}: no output yet (ended: ${tail.ended() ?? 'no'})`);
}

/** A direct Tail of alice's is refused for her Tail limit. */
async function assertTailRefused(t: TestServer, id: string): Promise<void> {
  await assert.rejects(
    within(10_000, t.as.alice.tail({ id }), 'the refused Tail to end'),
    (error: ServiceError) =>
      error.code === status.RESOURCE_EXHAUSTED && /maxTailsPerIdentity/.test(error.details),
  );
}

/** Starts a job that prints a line and then sleeps, quiet, for a minute. */
async function startQuietJob(t: TestServer): Promise<string> {
  const job = await t.as.alice.start({
    type: JobType.JOB_TYPE_COMMAND,
    args: {
      kind: {
        $case: 'command',
        value: { executable: '/bin/sh', args: ['-c', 'echo started; exec sleep 60'], env: {} },
      },
    },
  });
  return job.id;
}

describe('keepalive frees the Tail of a client that vanished', { timeout: 90_000 }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      config: {
        keepaliveInterval: KEEPALIVE_INTERVAL_MS,
        keepaliveTimeout: KEEPALIVE_TIMEOUT_MS,
        maxTailsPerIdentity: 1,
      },
    });
  });
  after(() => t?.close());

  it('ends the Tail behind a frozen connection and gives its slot back', async (ctx) => {
    const id = await startQuietJob(t);
    const proxy = await FreezableProxy.start(t.port);
    const client = await clientTo(t.tlsDir, 'alice', proxy.port);
    let tail: OpenTail | undefined;
    try {
      tail = openTail(client, id);
      await untilStarted(tail, 'the Tail through the proxy');
      assert.equal(t.server.liveTails, 1);
      assert.equal(proxy.pairs.length, 1, 'one connection through the proxy');
      await assertTailRefused(t, id);

      // Healthy: the client answers the pings, and its quiet Tail outlives several intervals.
      const before = { ...proxy.toClient };
      const acksBefore = { ...proxy.toServer };
      await sleep(HEALTHY_WATCH_MS);
      assert.equal(tail.ended(), undefined, 'the healthy Tail is still open');
      assert.equal(t.server.liveTails, 1);
      assert.ok(proxy.pairs[0]!.upstreamOpen, 'the server kept the healthy connection');
      assert.equal(proxy.pairs.length, 1, 'no reconnection');
      const pings = proxy.toClient.reads - before.reads;
      const acks = proxy.toServer.reads - acksBefore.reads;
      ctx.diagnostic(`healthy Tail: ${pings} reads from the server (pings), ${acks} from the client (acks)`);
      assert.ok(pings >= 2, `the server pinged: ${pings} reads in ${HEALTHY_WATCH_MS} ms`);
      assert.ok(acks >= 2, `the client answered: ${acks} reads in ${HEALTHY_WATCH_MS} ms`);

      // The client's host vanishes: nothing crosses the proxy any more, and no socket is closed.
      proxy.freeze();
      const frozenAt = performance.now();
      await until(
        KEEPALIVE_INTERVAL_MS + KEEPALIVE_TIMEOUT_MS + SLACK_MS,
        () => t.server.liveTails === 0,
        () => `the server still serves ${t.server.liveTails} Tail(s) after the freeze`,
      );
      const freedAfter = performance.now() - frozenAt;
      await within(SLACK_MS, proxy.pairs[0]!.upstreamClosed, 'the server to close the frozen connection');
      ctx.diagnostic(`the frozen client's Tail was ended ${Math.round(freedAfter)} ms after the freeze`);
      assert.ok(freedAfter <= KEEPALIVE_INTERVAL_MS + KEEPALIVE_TIMEOUT_MS + SLACK_MS);
      // The client heard nothing (it is "gone"); only the server acted.
      assert.equal(tail.ended(), undefined, 'the frozen client heard nothing');

      // The slot is free: a direct Tail of alice's is served.
      const direct = openTail(t.clients.alice, id);
      try {
        await untilStarted(direct, 'the direct Tail after the freeze');
        assert.equal(t.server.liveTails, 1);
      } finally {
        direct.stream.cancel();
      }
      await until(
        5_000,
        () => t.server.liveTails === 0,
        () => `the cancelled direct Tail is still served (${t.server.liveTails})`,
      );
    } finally {
      tail?.stream.cancel();
      client.close();
      await proxy.close();
      await t.as.alice.stop({ id });
    }
  });

  it('keeps an idle connection that answers its pings: calls go on over it without reconnecting', async (ctx) => {
    const proxy = await FreezableProxy.start(t.port);
    const client = await clientTo(t.tlsDir, 'alice', proxy.port);
    const rpc = new RpcClient(client);
    try {
      await rpc.list({}, { deadline: Date.now() + 5_000 });
      assert.equal(proxy.pairs.length, 1);
      const channel = client.getChannel();
      assert.equal(channel.getConnectivityState(false), connectivityState.READY);

      // Idle for several intervals: no call or stream open on the connection.
      const before = { ...proxy.toClient };
      const acksBefore = { ...proxy.toServer };
      // Every state change is recorded as it happens (a sample now and then could miss a short one).
      const states = new Set<connectivityState>([channel.getConnectivityState(false)]);
      const watchEnd = Date.now() + HEALTHY_WATCH_MS;
      const watch = (from: connectivityState) =>
        channel.watchConnectivityState(from, watchEnd, (error) => {
          if (error !== undefined) return; // the deadline: the watch is over
          const now = channel.getConnectivityState(false);
          states.add(now);
          watch(now);
        });
      watch(channel.getConnectivityState(false));
      await sleep(HEALTHY_WATCH_MS);
      const pings = proxy.toClient.reads - before.reads;
      const acks = proxy.toServer.reads - acksBefore.reads;
      ctx.diagnostic(
        `idle connection: ${pings} reads from the server (pings), ${acks} from the client (acks)`,
      );
      assert.deepEqual(
        [...states].map((state) => connectivityState[state]),
        ['READY'],
        'the channel stayed READY throughout',
      );
      assert.ok(pings >= 2, `the server pinged the idle connection: ${pings} reads`);
      assert.ok(acks >= 2, `the client answered: ${acks} reads`);
      assert.ok(proxy.pairs[0]!.upstreamOpen, 'the server kept the idle connection');

      await rpc.list({}, { deadline: Date.now() + 5_000 });
      assert.equal(proxy.pairs.length, 1, 'the call used the same connection: no reconnection');
      assert.equal(channel.getConnectivityState(false), connectivityState.READY);
    } finally {
      client.close();
      await proxy.close();
    }
  });
});

describe('without a short keepalive, the frozen Tail keeps its slot (control)', { timeout: 60_000 }, () => {
  let t: TestServer;
  // The default interval, 1 min: longer than this test waits.
  before(async () => {
    t = await startTestServer({ config: { maxTailsPerIdentity: 1 } });
  });
  after(() => t?.close());

  it('still serves the frozen Tail after the wait that frees it above', async () => {
    assert.equal(t.config.keepaliveInterval, 60_000);
    const id = await startQuietJob(t);
    const proxy = await FreezableProxy.start(t.port);
    const client = await clientTo(t.tlsDir, 'alice', proxy.port);
    let tail: OpenTail | undefined;
    try {
      tail = openTail(client, id);
      await untilStarted(tail, 'the Tail through the proxy');
      proxy.freeze();
      await sleep(KEEPALIVE_INTERVAL_MS + KEEPALIVE_TIMEOUT_MS + SLACK_MS);
      assert.equal(t.server.liveTails, 1, 'the frozen Tail is still served');
      assert.ok(proxy.pairs[0]!.upstreamOpen, 'the server still holds the frozen connection');
      await assertTailRefused(t, id);
    } finally {
      tail?.stream.cancel();
      client.close();
      await proxy.close();
      await t.as.alice.stop({ id });
    }
  });
});
