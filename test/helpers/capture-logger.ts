import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** A warn-level pino logger that keeps every line it writes in `lines`, for asserting on logs. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    }),
  );
  return { logger, lines };
}
