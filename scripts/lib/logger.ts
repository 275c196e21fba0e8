import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';

/**
 * pino-pretty's entry when it is installed (a development install; a production one,
 * `npm ci --omit=dev`, has no dev dependencies), else undefined.
 */
function installedPretty(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('pino-pretty');
  } catch {
    return undefined;
  }
}

/**
 * The pino-pretty entry to print through: only on a terminal, without `LOG_FORMAT=json`, and when
 * pino-pretty is installed; else undefined (JSON lines).
 */
export function prettyTarget(
  isTTY: boolean | undefined,
  logFormat: string | undefined,
  resolvePretty: () => string | undefined = installedPretty,
): string | undefined {
  return isTTY && logFormat !== 'json' ? resolvePretty() : undefined;
}

/**
 * One pino logger per process: pretty on a terminal when pino-pretty is installed, JSON lines
 * otherwise (for log shippers, and always with `LOG_FORMAT=json`).
 */
export function createLogger(name: string, level: string): Logger {
  const target = prettyTarget(process.stdout.isTTY, process.env.LOG_FORMAT);
  return pino({
    name,
    level,
    ...(target ? { transport: { target, options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}
