/**
 * The server's logger: pino, JSON lines on stdout. The server logs identities (a certificate's CN
 * and role), never a certificate or a key; the redaction below is a second guard for any object
 * that carries TLS material by mistake.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config/settings.js';

export type { Logger };

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'workernatord' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['*.keyPem', '*.certPem', '*.caPem', '*.key', '*.cert', '*.raw'], censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
