import type { Logger } from 'pino';

/**
 * SIGTERM/SIGINT: stop taking input, finish in-flight work, flush, close connections, within
 * `deadlineMs` (SHUTDOWN_TIMEOUT_MS); past it the process exits non-zero. A second signal exits at once.
 */
export function closeOnSignals(logger: Logger, close: () => Promise<void>, deadlineMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, deadlineMs }, 'shutting down');
    void closeWithin(logger, close, deadlineMs, (code) => process.exit(code));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Runs `close` and calls `exit` once: 0 when it resolves, 1 when it fails or when `deadlineMs`
 * passes first (a closer that hangs does not keep the process).
 */
export async function closeWithin(
  logger: Logger,
  close: () => Promise<void>,
  deadlineMs: number,
  exit: (code: number) => void,
): Promise<void> {
  let exited = false;
  const exitOnce = (code: number) => {
    if (exited) return;
    exited = true;
    clearTimeout(timer);
    exit(code);
  };
  const timer = setTimeout(() => {
    logger.error({ deadlineMs }, 'shutdown deadline passed: exiting');
    exitOnce(1);
  }, deadlineMs);
  timer.unref();
  try {
    await close();
    logger.info('stopped');
    exitOnce(0);
  } catch (err) {
    logger.error({ err }, 'shutdown failed');
    exitOnce(1);
  }
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
