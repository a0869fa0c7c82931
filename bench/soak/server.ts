// Run by bench/soak.ts as a child process: the real server (mutual TLS, the sandbox) under a cgroup
// root of its own, as `workernatord serve` builds it. Logs JSON lines on stdout ("serving" carries
// the port); SIGTERM shuts it down. Argument: JSON { dataDir, tlsDir, cgroupRootName, config? }.
import { mkdir } from 'node:fs/promises';
import { openSandbox } from '../../src/sandbox/index.js';
import { SETTING_LIST, type ServerConfig } from '../../src/server/config/settings.js';
import { createLogger } from '../../src/server/logger.js';
import { WorkernatorServer } from '../../src/server/server.js';
import { exitOnSignals } from '../../src/server/signals.js';

const options = JSON.parse(process.argv[2] ?? '') as {
  dataDir: string;
  tlsDir: string;
  cgroupRootName: string;
  config?: Partial<ServerConfig>;
};
const defaults = Object.fromEntries(SETTING_LIST.map((s) => [s.key, s.default])) as unknown as ServerConfig;
const config: ServerConfig = {
  ...defaults,
  listen: '127.0.0.1:0',
  dataDir: options.dataDir,
  tlsDir: options.tlsDir,
  logLevel: 'warn',
  ...options.config,
};
await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
const logger = createLogger('info');
const sandbox = await openSandbox({
  dataDir: config.dataDir,
  cgroupRootName: options.cgroupRootName,
  logger,
});
const server = await WorkernatorServer.start({
  config,
  launcher: sandbox,
  logger: createLogger(config.logLevel),
  closeLauncher: () => sandbox.close(),
});
// The one line bench/soak.ts waits for.
logger.info({ port: server.port }, 'serving');
exitOnSignals(server, logger, (code) => process.exit(code));
