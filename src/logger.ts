import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from './config';
import { traceLogFields } from './telemetry/log-fields';

// Wherever a credential can sit in what we log: request headers, config, subscription rows (secret,
// previous_secret), API bodies (secret, token), and the same one or two levels down (err.config…).
const SECRET_KEYS = ['authorization', 'secret', 'previous_secret', 'previousSecret', 'token', 'apiKeys', 'payloadKey', 'secretKeys', 'databaseUrl', 'password', 'link', 'csrfToken'];
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hookflow-csrf"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
];

/**
 * One logger for the process; credentials are redacted wherever they could appear. `pretty` (`npm
 * start` on a terminal) prints human-readable lines; everything else gets JSON, one object a line.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'tracing'>, opts: { pretty?: boolean; destination?: DestinationStream } = {}): Logger {
  // With tracing on, a line logged inside a span carries its trace_id and span_id.
  const options = { level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, ...(config.tracing ? { mixin: traceLogFields } : {}) };
  if (!opts.pretty) return opts.destination ? pino(options, opts.destination) : pino(options);
  // A synchronous stream, not a transport thread: dev output must not be lost when Ctrl-C exits.
  return pino(options, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
}
