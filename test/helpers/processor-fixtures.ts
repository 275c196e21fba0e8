import type { EventProcessorOptions } from '../../engine/stream/event-processor-options.js';

/** The event processor's options the unit tests run with (lists of 5, an hour's half-life, 30-minute sessions); `overrides` change some. */
export function processorOptions(overrides: Partial<EventProcessorOptions> = {}): EventProcessorOptions {
  return {
    defaultK: 5,
    tasteHalfLifeSeconds: 3600,
    sessionGapSeconds: 1800,
    coVisitWindow: 5,
    recentLimit: 20,
    pushMaxAgeMs: 60_000,
    retryDelayMs: 100,
    ...overrides,
  };
}
