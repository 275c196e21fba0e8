import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryShopAnalytics } from '../../engine/analytics/adapters/memory-shop-analytics.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import type { LoggedEvent } from '../../engine/contracts/schemas.js';
import { DEFAULT_SEGMENT_THRESHOLDS } from '../../engine/shoppers/logic/segments.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { DeliveredEvent } from '../../engine/stream/event-log.js';
import { EventProcessor } from '../../engine/stream/event-processor.js';
import type { Recommender } from '../../engine/recommend/recommender.js';
import { processorOptions } from '../helpers/processor-fixtures.js';

/**
 * The engine's per-event LRU caches (lru-cache) seen through EventProcessor: user states kept after
 * storing them (event-processor.ts StateCache) and the last list pushed per user (push-stage.ts).
 */

const NOW = 1_700_000_100_000;
let seq = 0;

function delivered(userId: string): DeliveredEvent {
  seq++;
  const event: LoggedEvent = { type: 'view', id: `e${seq}`, userId, itemId: `i${seq % 3}`, ts: NOW - 100, receivedAt: NOW - 100 };
  return {
    event,
    partition: 0,
    seq,
    redelivered: false,
    deliveryCount: 1,
    ack: async () => undefined,
    nak: () => undefined,
    deadLetter: async () => undefined,
  };
}

function setup(userCacheSize: number, list: (userId: string) => string[]) {
  const users = new MemoryUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 3600 });
  const loaded: string[] = [];
  const loadMany = users.loadMany.bind(users);
  users.loadMany = async (requests) => {
    loaded.push(...requests.map((request) => request.userId));
    return loadMany(requests);
  };
  const pushes: string[] = [];
  const recommender = {
    boosting: () => false,
    recommend: async (_user: unknown, _request: unknown, _now: number, _member: unknown, userId: string) => ({
      listId: 'l',
      items: list(userId).map((itemId) => ({ itemId, score: 1 })),
      generatedAt: NOW,
      modelVersion: 'test',
    }),
  } as unknown as Recommender;
  const processor = new EventProcessor({
    users,
    stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 }),
    vectors: { item: () => new Float32Array(8).fill(0.5), text: () => new Float32Array(8).fill(0.5) },
    recommender,
    notifier: { pushToUser: (userId) => void pushes.push(userId), pushToAll: () => undefined },
    analytics: { store: new MemoryShopAnalytics(), thresholds: DEFAULT_SEGMENT_THRESHOLDS },
    metrics: new EngineMetrics(),
    logger: pino({ level: 'silent' }),
    now: () => NOW,
    options: processorOptions({ maxDeliveries: 3, userCacheSize }),
  });
  const send = async (...userIds: string[]) => {
    for (const userId of userIds) await processor.handleBatch([delivered(userId)]);
  };
  return { send, loaded, pushes };
}

describe('engine LRU caches', () => {
  it('keeps the states of the `userCacheSize` users used last, a read making a user recent', async () => {
    const { send, loaded } = setup(2, () => ['x']);
    await send('a', 'b');
    expect(loaded).toEqual(['a', 'b']);
    // a is read from the cache (now the most recent), c evicts b, the least recently used.
    await send('a', 'c', 'a', 'b');
    expect(loaded).toEqual(['a', 'b', 'c', 'b']);
  });

  it('keeps no state with userCacheSize 0', async () => {
    const { send, loaded } = setup(0, () => ['x']);
    await send('a', 'a');
    expect(loaded).toEqual(['a', 'a']);
  });

  it('pushes a list only when it differs from the last one pushed to that user', async () => {
    const lists = new Map<string, string[]>([
      ['a', ['x', 'y']],
      ['b', ['y']],
    ]);
    const { send, pushes } = setup(10, (userId) => lists.get(userId)!);
    await send('a', 'b', 'a', 'b');
    expect(pushes).toEqual(['a', 'b']);
    lists.set('a', ['y', 'x']);
    await send('a', 'b', 'a');
    expect(pushes).toEqual(['a', 'b', 'a']);
  });
});
