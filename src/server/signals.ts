/**
 * SIGTERM and SIGINT: the first begins the orderly shutdown and exits when it is done; a second one
 * (an impatient operator, a supervisor's final word) cuts every connection and exits at once.
 */
import type { Logger } from './logger.js';
import type { WorkernatorServer } from './server.js';

export function exitOnSignals(server: WorkernatorServer, logger: Logger, exit: (code: number) => void): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      logger.info({ signal }, 'shutting down; send the signal again to force it');
      server.shutdown().then(
        () => exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          exit(1);
        },
      );
      return;
    }
    logger.warn({ signal }, 'second signal: forcing exit; running jobs are marked LOST at the next start');
    server.forceShutdown();
    exit(1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
