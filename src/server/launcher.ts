/**
 * Which launcher runs the jobs. The sandbox, always, unless --unsafe-no-sandbox asks for the
 * unconfined process-group launcher, which is for development only and says so loudly at every
 * start. Without that flag a sandbox that cannot open stops the server from starting: running jobs
 * with less isolation than promised is never a silent fallback.
 */
import { mkdir } from 'node:fs/promises';
import type { Launcher } from '../core/launcher.js';
import { ProcessGroupLauncher } from '../core/process-group-launcher.js';
import { openSandbox, type Sandbox, type SandboxOptions } from '../sandbox/index.js';
import type { ServerConfig } from './config/settings.js';
import { ServerStartError } from './errors.js';
import type { Logger } from './logger.js';

export interface ServerLauncher {
  readonly launcher: Launcher;
  /** Releases what the launcher holds (the sandbox's cgroup root). */
  close(): Promise<void>;
}

export const UNSAFE_WARNING =
  'UNSAFE: --unsafe-no-sandbox is set. Jobs run as plain child processes of the server: no cgroup limits, ' +
  'no namespaces, no user switch. Use it for development only, never where others can reach the server.';

/**
 * What no job may see, whatever its role (a root job included): the server's TLS directory (its key,
 * the CA keys if they are here), its data directory (the store, every job's log), and the config
 * file. The file, not its directory: that may be /etc, which jobs need. Each is hidden in every
 * job's own mount namespace (native/README.md, `--mask`).
 */
export function sandboxMaskedPaths(config: ServerConfig, configFile?: string): string[] {
  return [config.tlsDir, config.dataDir, ...(configFile === undefined ? [] : [configFile])];
}

/**
 * `open` is the sandbox's opener; tests pass one that fails. `configFile` is the config file the
 * settings came from, if any (hidden from jobs with the TLS and data directories).
 */
export async function openLauncher(
  config: ServerConfig,
  logger: Logger,
  open: (options: SandboxOptions) => Promise<Sandbox> = openSandbox,
  configFile?: string,
): Promise<ServerLauncher> {
  if (config.unsafeNoSandbox) {
    const banner = '!'.repeat(100);
    process.stderr.write(`${banner}\n${UNSAFE_WARNING}\n${banner}\n`);
    logger.warn({ unsafeNoSandbox: true }, UNSAFE_WARNING);
    return { launcher: new ProcessGroupLauncher(), close: () => Promise.resolve() };
  }
  try {
    // The sandbox finds the disk to throttle from the data directory, so it must exist first.
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    const sandbox = await open({
      dataDir: config.dataDir,
      maskedPaths: sandboxMaskedPaths(config, configFile),
      logger,
      // cgroup v2's no-internal-processes rule: a server in a cgroup with processes (its own, or
      // the npm or shell that started it) moves them one level down rather than failing.
      moveSelfToLeaf: !config.keepOwnCgroup,
      ...(config.jobUser === undefined ? {} : { jobUser: config.jobUser }),
      ...(config.jobGroup === undefined ? {} : { jobGroup: config.jobGroup }),
    });
    return { launcher: sandbox, close: () => sandbox.close() };
  } catch (error) {
    const missing = (error as { missing?: unknown }).missing;
    throw new ServerStartError(
      `the sandbox cannot run jobs on this host: ${(error as Error).message}` +
        (typeof missing === 'string' ? ` (missing: ${missing})` : '') +
        '. Fix that, or for development only start with --unsafe-no-sandbox',
      { cause: error },
    );
  }
}
