import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/config.js';

/**
 * JSON logs on stdout. Redaction is a second line of defence: code never passes tokens
 * or keys to the logger in the first place.
 */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'e-licence' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'secrets', 'password', '*.password'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
