/**
 * One real server per test file: a fresh PKI (certsInit plus certsIssue for alice and bob, users,
 * and vera, a viewer) and data directory in a temp dir, mutual TLS on 127.0.0.1 with port 0, the
 * process-group launcher (the sandbox is tested on its own), and a JobServiceClient per identity.
 * The server's log lines are captured for assertions.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Launcher } from '../../../src/core/launcher.js';
import { ProcessGroupLauncher } from '../../../src/core/process-group-launcher.js';
import { JobServiceClient } from '../../../src/gen/workernator/v1/workernator.js';
import { certsInit, certsIssue } from '../../../src/pki/commands.js';
import { createClientCredentials } from '../../../src/pki/client-credentials.js';
import { tlsLayout } from '../../../src/pki/layout.js';
import { SETTING_LIST, type ServerConfig } from '../../../src/server/config/settings.js';
import { createLogger } from '../../../src/server/logger.js';
import { WorkernatorServer } from '../../../src/server/server.js';
import { assertRunnerBuilt } from '../../helpers/manager.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { RpcClient } from './rpc-client.js';

export const IDENTITIES = { admin: 'admin', alice: 'user', bob: 'user', vera: 'viewer' } as const;
export type Who = keyof typeof IDENTITIES;

/** The defaults of every setting, as the server would use them with no flags, env or file. */
export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const config = Object.fromEntries(SETTING_LIST.map((s) => [s.key, s.default])) as unknown as ServerConfig;
  return { ...config, ...overrides };
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface TestServer {
  readonly server: WorkernatorServer;
  /** The configuration the server started with. */
  readonly config: ServerConfig;
  readonly port: number;
  readonly dir: string;
  readonly tlsDir: string;
  readonly dataDir: string;
  readonly logs: LogLine[];
  /** Raw generated clients, one per identity. */
  readonly clients: Readonly<Record<Who, JobServiceClient>>;
  /** Promise-returning wrappers of the same clients. */
  readonly as: Readonly<Record<Who, RpcClient>>;
  /** Shuts the server down (if the test has not) and removes the temp dir. */
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly config?: Partial<ServerConfig>;
  /** The launcher, or how to open one for the server's final config (the sandbox masks its dirs). */
  readonly launcher?: Launcher | ((config: ServerConfig) => Promise<Launcher>);
}

/** Client credentials for `name`, from the TLS directory, trusting only the server CA. */
export async function clientFor(tlsDir: string, name: string, port: number): Promise<JobServiceClient> {
  const layout = tlsLayout(tlsDir);
  const files = layout.client(name);
  const credentials = createClientCredentials({
    caPem: await readFile(layout.serverCaCert),
    certPem: await readFile(files.cert),
    keyPem: await readFile(files.key),
  });
  return new JobServiceClient(`localhost:${port}`, credentials);
}

/** Issues the test identities into a fresh TLS directory. */
export async function makePki(tlsDir: string): Promise<void> {
  await certsInit({ tlsDir });
  for (const [name, role] of Object.entries(IDENTITIES)) {
    if (name !== 'admin') await certsIssue({ tlsDir, name, role });
  }
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  assertRunnerBuilt();
  const temp = await tempDir('workernator-server-');
  const tlsDir = join(temp.path, 'tls');
  const dataDir = join(temp.path, 'data');
  await makePki(tlsDir);

  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line !== '') logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const config = defaultConfig({
    listen: '127.0.0.1:0',
    dataDir,
    tlsDir,
    shutdownTimeout: 2_000,
    ...options.config,
  });
  const launcher =
    typeof options.launcher === 'function'
      ? await options.launcher(config)
      : (options.launcher ?? new ProcessGroupLauncher());
  const server = await WorkernatorServer.start({
    config,
    launcher,
    logger: createLogger('info', sink),
  });

  const names = Object.keys(IDENTITIES) as Who[];
  const clients = Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await clientFor(tlsDir, name, server.port)] as const)),
  ) as Record<Who, JobServiceClient>;
  const as = Object.fromEntries(names.map((name) => [name, new RpcClient(clients[name])])) as Record<
    Who,
    RpcClient
  >;

  return {
    server,
    config,
    port: server.port,
    dir: temp.path,
    tlsDir,
    dataDir,
    logs,
    clients,
    as,
    async close() {
      for (const client of Object.values(clients)) client.close();
      await server.shutdown();
      await temp.remove();
    },
  };
}
