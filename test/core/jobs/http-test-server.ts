import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A real HTTP server on 127.0.0.1 that records what it receives and answers with `respond`. */
export class TestHttpServer {
  readonly received: ReceivedRequest[] = [];
  readonly #server: Server;

  private constructor(respond: (response: ServerResponse) => void) {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const { method, url, headers } = request;
        this.received.push({ method, url, headers, body: Buffer.concat(chunks).toString('utf8') });
        respond(response);
      });
    });
  }

  static async start(respond: (response: ServerResponse) => void): Promise<TestHttpServer> {
    const server = new TestHttpServer(respond);
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.#server.close((error) => (error ? reject(error) : resolve())),
    );
  }
}

/** A port that was just listened on and closed: connecting to it is refused. */
export async function closedPortOrigin(): Promise<string> {
  const server = await TestHttpServer.start((response) => response.end());
  const { origin } = server;
  await server.close();
  return origin;
}
