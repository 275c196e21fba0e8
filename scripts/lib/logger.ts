import { pino, type Logger } from 'pino';

/** One pino logger per process: pretty on a terminal, JSON lines otherwise (for log shippers). */
export function createLogger(name: string, level: string): Logger {
  const pretty = process.stdout.isTTY && process.env.LOG_FORMAT !== 'json';
  return pino({
    name,
    level,
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  });
}
