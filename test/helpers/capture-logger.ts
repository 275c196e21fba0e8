import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/**
 * A pino logger (warn level unless told) that keeps every line it writes in `lines` (a new array,
 * or the one given), for asserting on logs.
 */
export function captureLogger(level: 'warn' | 'info' = 'warn', lines: string[] = []): { logger: Logger; lines: string[] } {
  const logger = pino(
    { level },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    }),
  );
  return { logger, lines };
}
