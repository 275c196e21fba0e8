import pino from 'pino';
import { EngineMetrics } from '../../engine/metrics.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import type { UserStateStore } from '../../engine/shoppers/user-state-store.js';
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

/** A processor's dependencies without ranking, members or campaigns: fixed 8-dimension vectors, no pushes, a silent log. */
export function plainProcessorDeps(users: UserStateStore) {
  return {
    users,
    stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 }),
    vectors: { item: () => new Float32Array(8).fill(0.5), text: () => new Float32Array(8).fill(0.5) },
    notifier: { pushToUser: () => undefined, pushToAll: () => undefined },
    metrics: new EngineMetrics(),
    logger: pino({ level: 'silent' }),
  };
}
