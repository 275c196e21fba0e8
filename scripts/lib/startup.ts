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

/** A start-up failure that is not a bug (unreachable servers, unusable files): one line on stderr, exit 1. */
export function failStartup(name: string, err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${name}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
}
