/**
 * The signals workernatord acts on. They are handled from before the server is ready (a signal then
 * waits for it). SIGTERM and SIGINT: the first begins the orderly shutdown and exits when it is
 * done; a second one (an impatient operator, a supervisor's final word) cuts every connection and
 * exits at once. SIGHUP: reload.
 */
import type { ServerConfig } from './config/settings.js';
import type { Logger } from './logger.js';
import type { WorkernatorServer } from './server.js';

export function exitOnSignals(
  serverOrStart: WorkernatorServer | Promise<WorkernatorServer>,
  logger: Logger,
  exit: (code: number) => void,
): void {
  const starting = Promise.resolve(serverOrStart);
  let signals = 0;
  let server: WorkernatorServer | undefined;
  // A failed start is reported by the caller, which awaits the same promise.
  starting.then(
    (started) => (server = started),
    () => {},
  );
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      logger.info({ signal }, 'shutting down; send the signal again to force it');
      starting
        .then((started) => started.shutdown())
        .then(
          () => exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            exit(1);
          },
        );
      return;
    }
    logger.warn({ signal }, 'second signal: forcing exit; running jobs are marked LOST at the next start');
    server?.forceShutdown();
    exit(1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * SIGHUP: reload. `load` reads the settings again (the config file is re-read; flags and env vars
 * keep their values from the start) and the server applies the reloadable ones. A reload that fails
 * (a bad config file, TLS files that do not match) is logged and changes nothing: the server keeps
 * serving with what it had. Returns a function that removes the handler.
 */
export function reloadOnHangup(
  server: Pick<WorkernatorServer, 'reload'>,
  logger: Logger,
  load: () => Promise<ServerConfig>,
): () => void {
  const onHangup = () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading');
    load()
      .then((config) => server.reload(config))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'reload failed; the server keeps its previous settings');
      });
  };
  process.on('SIGHUP', onHangup);
  return () => process.removeListener('SIGHUP', onHangup);
}
