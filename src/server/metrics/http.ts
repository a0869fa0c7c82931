/**
 * The metrics endpoint: plain HTTP, GET /metrics, on its own address, never on the gRPC port (which
 * speaks only mutual TLS). It has no authentication, so it binds to loopback addresses only, unless
 * the operator says otherwise with metricsAllowNonLoopback. The check is made on the addresses the
 * host name resolves to, before binding, so a name like `localhost` is judged by what it means here.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { Logger } from '../logger.js';
import { ServerStartError } from '../errors.js';
import { METRICS_CONTENT_TYPE, type ServerMetrics } from './metrics.js';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

export function isLoopback(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** host:port as the settings parser accepts it, with an IPv6 host in brackets. */
function splitAddress(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(at + 1)) };
}

export interface MetricsEndpointOptions {
  readonly listen: string;
  readonly allowNonLoopback: boolean;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
}

export class MetricsEndpoint {
  readonly #server: Server;
  readonly #port: number;

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.#port = port;
  }

  /** Binds the endpoint; throws ServerStartError for a non-loopback address (unless allowed) or a failed bind. */
  static async start(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
    const { host, port } = splitAddress(options.listen);
    let addresses: string[];
    try {
      addresses = (await lookup(host, { all: true })).map((entry) => entry.address);
    } catch (error) {
      throw new ServerStartError(
        `metricsListen ${options.listen}: cannot resolve ${host}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const address = addresses[0];
    if (address === undefined)
      throw new ServerStartError(`metricsListen ${options.listen}: ${host} has no address`);
    if (!options.allowNonLoopback && !addresses.every(isLoopback)) {
      throw new ServerStartError(
        `metricsListen ${options.listen} is not a loopback address (${addresses.join(', ')}); the metrics endpoint has no authentication, so it serves on loopback only. Use 127.0.0.1 or [::1], or set metricsAllowNonLoopback (--metrics-allow-non-loopback) to serve it there anyway`,
      );
    }
    const server = createServer((request, response) => {
      serve(options.metrics, request, response).catch((error: unknown) => {
        options.logger.error({ err: error }, 'could not collect the metrics');
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end('the metrics could not be collected; the server log has the details\n');
      });
    });
    // A scraper's idle keep-alive connection must not hold up shutdown; close() ends them.
    server.keepAliveTimeout = 5_000;
    try {
      server.listen(port, address);
      await once(server, 'listening');
    } catch (error) {
      server.close();
      throw new ServerStartError(`cannot serve metrics on ${options.listen}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const bound = server.address();
    const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
    options.logger.info({ metricsListen: options.listen, port: boundPort }, 'serving metrics');
    return new MetricsEndpoint(server, boundPort);
  }

  /** The port bound (the one the system chose, for port 0). */
  get port(): number {
    return this.#port;
  }

  /** Stops listening and closes every connection, idle or not. */
  async close(): Promise<void> {
    const closed = once(this.#server, 'close');
    this.#server.close();
    this.#server.closeAllConnections();
    await closed;
  }
}

async function serve(
  metrics: ServerMetrics,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== '/metrics') {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
    return;
  }
  const body = await metrics.exposition();
  response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
  response.end(request.method === 'HEAD' ? undefined : body);
}
