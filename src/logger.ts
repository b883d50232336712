import pino, { type Logger } from 'pino';
import type { Config } from './config';

/** One logger for the process; credentials are redacted wherever they could appear. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'secret', '*.secret', 'config.apiKeys', 'config.payloadKey'],
      censor: '[redacted]',
    },
  });
}
