import { vi } from 'vitest';

/**
 * Polling for end-to-end tests, on vitest's `vi.waitFor`: wait until what a real server does
 * becomes visible. The timeouts are generous upper bounds, never timing assertions.
 */
export interface WaitOptions {
  /** Upper bound of the wait (default 15 s). */
  timeoutMs?: number;
  /** Time between two checks (default 50 ms); a check still running is never started twice. */
  intervalMs?: number;
  /** The tail of the servers' output, added to the error when the wait times out. */
  output?: () => string;
  /** A check that throws counts as not holding yet, and is tried again (a server that is down refuses connections). */
  retryErrors?: boolean;
}

/** Thrown by a check that does not hold yet: `vi.waitFor` retries it until the timeout. */
class NotYet extends Error {}

/**
 * Reads `read()` until `done(value)` holds, then returns that value. A read or `done` that throws
 * fails the wait at once (an assertion inside a read is not retried) unless `options.retryErrors`.
 * On timeout the error names `what`, the last value read (or error) and `options.output()`.
 */
export function waitForValue<T>(
  what: string,
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  options: WaitOptions = {},
): Promise<T> {
  return poll(what, read, done, options, true);
}

/** Checks `check()` until it holds; fails as waitForValue does (without the last value: it was false). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  await poll(what, check, Boolean, options, false);
}

async function poll<T>(
  what: string,
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  options: WaitOptions,
  showLast: boolean,
): Promise<T> {
  let last: { value: T } | { error: unknown } | undefined;
  let failure: { error: unknown } | undefined;
  const attempt = async (): Promise<T | undefined> => {
    try {
      const value = await read();
      last = { value };
      if (done(value)) return value;
    } catch (error) {
      last = { error };
      if (options.retryErrors) throw new NotYet(what);
      // Resolving ends vi.waitFor; the error is rethrown below.
      failure = { error };
      return undefined;
    }
    throw new NotYet(what);
  };
  let value: T | undefined;
  try {
    value = await vi.waitFor(attempt, { timeout: options.timeoutMs ?? 15_000, interval: options.intervalMs ?? 50 });
  } catch {
    // attempt() only rejects with NotYet: vi.waitFor gave up, the wait timed out.
    const seen =
      last !== undefined && 'error' in last
        ? ` (last error: ${last.error instanceof Error ? last.error.message : String(last.error)})`
        : showLast && last !== undefined
          ? ` (last: ${JSON.stringify(last.value)?.slice(0, 2000)})`
          : '';
    const output = options.output?.() ?? '';
    throw new Error(`timed out waiting for ${what}${seen}${output ? `\n${output}` : ''}`);
  }
  if (failure) throw failure.error;
  return value as T;
}
