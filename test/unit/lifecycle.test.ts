import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeWithin } from '../../scripts/lib/lifecycle.js';

const logger = pino({ level: 'silent' });

describe('process shutdown (SHUTDOWN_TIMEOUT_MS)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('exits 1 at the configured deadline when a closer never resolves', async () => {
    const exit = vi.fn();
    void closeWithin(logger, () => new Promise<void>(() => undefined), 250, exit);
    await vi.advanceTimersByTimeAsync(249);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit.mock.calls).toEqual([[1]]);
  });

  it('exits 0 once the closers finish, 1 when one fails, and only once', async () => {
    const ok = vi.fn();
    await closeWithin(logger, async () => undefined, 250, ok);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ok.mock.calls).toEqual([[0]]);
    const failed = vi.fn();
    await closeWithin(logger, async () => Promise.reject(new Error('redis gone')), 250, failed);
    await vi.advanceTimersByTimeAsync(1000);
    expect(failed.mock.calls).toEqual([[1]]);
  });
});
