/** A real server (the server's test helper) and the environment that points the built CLI at it. */
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../server/helpers/test-server.js';

export interface CliServer {
  readonly server: TestServer;
  /** Connection settings as environment variables, for the identity `name`. */
  env(name?: string): NodeJS.ProcessEnv;
  /** The same settings as flags. */
  flags(name?: string): string[];
}

export async function startCliServer(): Promise<CliServer> {
  const server = await startTestServer();
  const files = (name: string) => ({
    ca: join(server.tlsDir, 'server-ca.crt'),
    cert: join(server.tlsDir, 'clients', `${name}.crt`),
    key: join(server.tlsDir, 'clients', `${name}.key`),
  });
  const host = `localhost:${server.port}`;
  return {
    server,
    env(name = 'admin') {
      const f = files(name);
      return {
        WORKERNATOR_HOST: host,
        WORKERNATOR_CA: f.ca,
        WORKERNATOR_CERT: f.cert,
        WORKERNATOR_KEY: f.key,
      };
    },
    flags(name = 'admin') {
      const f = files(name);
      return ['--host', host, '--ca', f.ca, '--cert', f.cert, '--key', f.key];
    },
  };
}

/** The seed's texts have one ID and fixed times; make a real run's output comparable. */
export function normalize(text: string, id: string): string {
  return text
    .replaceAll(id, 'XE38YM')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, 'YYYY-MM-DD hh:mm:ss')
    .replace(/^(Duration: {3}).*$/m, '$1<duration>');
}
