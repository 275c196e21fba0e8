import { ConfigError, configErrorLines } from '../../engine/contracts/env.js';

/**
 * Loads a command's configuration; on bad values prints every problem, one line each
 * (`<name>: configuration: VARIABLE: what is wrong`), on stderr and exits 1, without a stack.
 */
export function loadConfigOrExit<T>(name: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${configErrorLines(name, err).join('\n')}\n`);
    process.exit(1);
  }
}

/**
 * A start-up failure that is not a bug (unreachable servers, unusable files): one line on stderr,
 * exit 1. No stack and no log record of the error object (its cause chain says nothing more an
 * operator can act on).
 */
export function failStartup(name: string, err: unknown): never {
  process.stderr.write(`${startupFailureLine(name, err)}\n`);
  process.exit(1);
}

/** The line `failStartup` prints: `<name>: <message>` on one line, a password in a URL (`//user:pass@`) masked. */
export function startupFailureLine(name: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `${name}: ${message.replace(/\s*\n\s*/g, ' ').replace(/(\/\/[^/:@\s]*:)[^/@\s]+@/g, '$1***@')}`;
}
