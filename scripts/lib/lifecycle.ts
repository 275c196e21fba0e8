import type { Logger } from 'pino';

/**
 * SIGTERM/SIGINT: stop taking input, finish in-flight work, flush, close connections, within
 * `deadlineMs`; past it the process exits non-zero. A second signal exits at once.
 */
export function closeOnSignals(logger: Logger, close: () => Promise<void>, deadlineMs = 10_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, deadlineMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown deadline passed: exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Runs every step even when some fail; rethrows the first failure at the end. */
export async function closeAll(steps: Array<() => Promise<void>>): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}
