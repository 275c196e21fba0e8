import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryShopAnalytics } from '../../engine/analytics/adapters/memory-shop-analytics.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import type { PushMessage } from '../../engine/contracts/messages.js';
import type { LoggedEvent } from '../../engine/contracts/schemas.js';
import { DEFAULT_SEGMENT_THRESHOLDS } from '../../engine/shoppers/logic/segments.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { DeadLetterFailure, DeliveredEvent } from '../../engine/stream/event-log.js';
import type { InteractionUpdate } from '../../engine/recommend/interaction-stats.js';
import { EventProcessor } from '../../engine/stream/event-processor.js';
import type { Recommender } from '../../engine/recommend/recommender.js';
import { processorOptions } from '../helpers/processor-fixtures.js';

/**
 * The batched event path through EventProcessor.handleBatch with in-memory stores: one push per
 * user per batch, none for absent users, failures handed back or dead-lettered, and aggregates
 * completed exactly once after a batch stopped between storing states and aggregates.
 */

const NOW = 1_700_000_100_000;
const view = (userId: string, id: string, itemId: string, receivedAt = NOW - 100): LoggedEvent => ({
  type: 'view',
  id,
  userId,
  itemId,
  ts: receivedAt,
  receivedAt,
});

interface Settled {
  acked: boolean;
  naks: number[];
  deadLetter?: DeadLetterFailure;
}

function delivered(event: LoggedEvent, deliveryCount = 1): DeliveredEvent & { settled: Settled } {
  const settled: Settled = { acked: false, naks: [] };
  return {
    event,
    partition: 0,
    seq: 1,
    redelivered: deliveryCount > 1,
    deliveryCount,
    settled,
    ack: async () => void (settled.acked = true),
    nak: (delayMs) => void settled.naks.push(delayMs ?? 0),
    deadLetter: async (failure) => {
      settled.deadLetter = failure;
      settled.acked = true;
    },
  };
}

class FlakyStats extends MemoryInteractionStats {
  failNext = false;
  override async recordMany(batchKey: string, updates: readonly InteractionUpdate[]): Promise<boolean> {
    if (this.failNext) {
      this.failNext = false;
      throw new PulseError(ErrorCodes.unavailable, 'redis went away');
    }
    return super.recordMany(batchKey, updates);
  }
}

function setup(options: { present?: (userId: string) => boolean; poisonItem?: string } = {}) {
  const users = new MemoryUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 3600 });
  const stats = new FlakyStats({ popularityHalfLifeSeconds: 3600 });
  const analytics = new MemoryShopAnalytics();
  const pushes: Array<{ userId: string; message: PushMessage }> = [];
  const ranked: string[] = [];
  const recommender = {
    boosting: () => false,
    recommend: async (_user: unknown, _request: unknown, _now: number, _member: unknown, userId: string) => {
      ranked.push(userId);
      return { listId: 'l', items: [{ itemId: `for-${userId}-${ranked.length}`, score: 1 }], generatedAt: NOW, modelVersion: 'test' };
    },
  } as unknown as Recommender;
  const item = (itemId: string) => {
    if (itemId === options.poisonItem) throw new Error(`vector of ${itemId} is corrupt`);
    return new Float32Array(8).fill(itemId.length % 3 === 0 ? 0.5 : -0.5);
  };
  const processor = new EventProcessor({
    users,
    stats,
    vectors: { item, text: () => new Float32Array(8).fill(0.5) },
    recommender,
    notifier: { pushToUser: (userId, message) => void pushes.push({ userId, message }), pushToAll: () => undefined },
    ...(options.present ? { presence: { isPresent: options.present } } : {}),
    analytics: { store: analytics, thresholds: DEFAULT_SEGMENT_THRESHOLDS },
    metrics: new EngineMetrics(),
    logger: pino({ level: 'silent' }),
    now: () => NOW,
    options: processorOptions({ maxDeliveries: 3 }),
  });
  return { processor, users, stats, analytics, pushes, ranked };
}

describe('the batched event path', () => {
  it('runs the batches of several partitions handed over in one turn as one round: one store, one aggregate write', async () => {
    const { processor, users, stats } = setup();
    let stores = 0;
    let aggregates = 0;
    const applyMany = users.applyMany.bind(users);
    users.applyMany = async (...args: Parameters<typeof users.applyMany>) => {
      stores++;
      return applyMany(...args);
    };
    const recordMany = stats.recordMany.bind(stats);
    stats.recordMany = async (...args: Parameters<typeof stats.recordMany>) => {
      aggregates++;
      return recordMany(...args);
    };
    const partitions = [0, 1, 2, 3].map((partition) => [
      { ...delivered(view(`r${partition}`, `r${partition}-1`, `sku-${partition}`)), partition },
    ]);
    await Promise.all(partitions.map((batch) => processor.handleBatch(batch)));
    expect(partitions.flat().every((d) => d.settled.acked)).toBe(true);
    expect(stores).toBe(1);
    expect(aggregates).toBe(1);
    for (let partition = 0; partition < 4; partition++) expect((await users.load(`r${partition}`)).counts.total).toBe(1);
    // A batch handed over after the round started runs in a round of its own.
    await processor.handleBatch([delivered(view('r0', 'r0-2', 'sku-7'))]);
    expect(stores).toBe(2);
    expect((await users.load('r0')).counts.total).toBe(2);
  });

  it('ranks and pushes once per user per batch, cause the last event', async () => {
    const { processor, pushes, ranked, users } = setup();
    const batch = [
      ...['e1', 'e2', 'e3', 'e4', 'e5'].map((id, i) => delivered(view('u1', id, `sku-${i}`))),
      delivered(view('u2', 'f1', 'sku-9')),
    ];
    await processor.handleBatch(batch);
    expect(batch.every((d) => d.settled.acked)).toBe(true);
    expect(ranked.sort()).toEqual(['u1', 'u2']);
    expect(pushes.filter((p) => p.userId === 'u1')).toHaveLength(1);
    const pushed = pushes.find((p) => p.userId === 'u1')!.message;
    expect(pushed.event === 'recommendations' && pushed.data.cause).toBe('e5');
    expect((await users.load('u1')).counts.total).toBe(5);
  });

  it('costs no ranking for a user with no open socket, nor for backlog', async () => {
    const { processor, pushes, ranked, users } = setup({ present: (userId) => userId === 'here' });
    await processor.handleBatch([
      delivered(view('away', 'a1', 'sku-1')),
      delivered(view('here', 'h1', 'sku-2')),
      delivered(view('here', 'h0', 'sku-3', NOW - 3_600_000)),
    ]);
    expect(ranked).toEqual(['here']);
    expect(pushes.map((p) => p.userId)).toEqual(['here']);
    expect((await users.load('away')).counts.total).toBe(1);
    // Backlog only (older than the push window): applied, never ranked.
    await processor.handleBatch([delivered(view('here', 'h2', 'sku-4', NOW - 3_600_000))]);
    expect(ranked).toEqual(['here']);
  });

  it('ranks for an event sent over the shopper socket even before the presence join arrives', async () => {
    const { processor, ranked } = setup({ present: () => false });
    await processor.handleBatch([
      delivered({ ...view('sock', 's1', 'sku-1'), viaSocket: true } as LoggedEvent),
      delivered(view('http', 'x1', 'sku-2')),
    ]);
    expect(ranked).toEqual(['sock']);
  });

  it('hands a failing event back with the rest of its user, dead-letters it after maxDeliveries, never blocks others', async () => {
    const { processor, users } = setup({ poisonItem: 'bad' });
    const first = [
      delivered(view('p', 'p1', 'sku-1')),
      delivered(view('p', 'p2', 'bad')),
      delivered(view('p', 'p3', 'sku-2')),
      delivered(view('q', 'q1', 'sku-3')),
    ];
    await processor.handleBatch(first);
    expect(first.map((d) => d.settled.acked)).toEqual([true, false, false, true]);
    expect(first[1]!.settled.naks).toEqual([100]);
    expect(first[2]!.settled.naks).toEqual([100]);
    expect((await users.load('p')).counts.total).toBe(1);
    // Second delivery: a growing delay; the third (maxDeliveries): dead-lettered, and what follows is applied.
    const second = [delivered(view('p', 'p2', 'bad'), 2), delivered(view('p', 'p3', 'sku-2'), 2)];
    await processor.handleBatch(second);
    expect(second[0]!.settled.naks).toEqual([200]);
    const third = [delivered(view('p', 'p2', 'bad'), 3), delivered(view('p', 'p3', 'sku-2'), 3)];
    await processor.handleBatch(third);
    expect(third[0]!.settled.deadLetter).toMatchObject({ code: 'internal', message: 'vector of bad is corrupt', attempts: 3 });
    expect(third[1]!.settled.naks).toEqual([400]);
    const fourth = [delivered(view('p', 'p3', 'sku-2'), 4)];
    await processor.handleBatch(fourth);
    expect(fourth[0]!.settled.acked).toBe(true);
    expect((await users.load('p')).recent.map((r) => r.itemId)).toEqual(['sku-2', 'sku-1']);
  });

  it('never dead-letters an outage: transient failures are retried', async () => {
    const { processor, stats } = setup();
    stats.failNext = true;
    const batch = [delivered(view('u', 'o1', 'sku-1'), 50)];
    await processor.handleBatch(batch);
    expect(batch[0]!.settled.deadLetter).toBeUndefined();
    expect(batch[0]!.settled.naks).toHaveLength(1);
  });

  it('completes the aggregates of a batch that stopped after storing the states, exactly once', async () => {
    const { processor, stats, analytics, users } = setup();
    stats.failNext = true;
    const events = [view('u', 'c1', 'sku-1'), view('u', 'c2', 'sku-2'), view('w', 'd1', 'sku-1')];
    const first = events.map((e) => delivered(e));
    await processor.handleBatch(first);
    expect(first.every((d) => d.settled.naks.length === 1)).toBe(true);
    expect((await users.load('u')).counts.total).toBe(2);
    expect(await stats.popular(5)).toEqual([]);
    // Redelivered (duplicates now): the stopped batch's share is completed, event by event.
    await processor.handleBatch(events.map((e) => delivered(e, 2)));
    const once = await stats.popular(5);
    expect(once.map(([id]) => id)).toEqual(['sku-1', 'sku-2']);
    expect((await analytics.totals()).events).toEqual({ view: 3 });
    // Delivered once more: nothing counts twice.
    await processor.handleBatch(events.map((e) => delivered(e, 3)));
    expect(await stats.popular(5)).toEqual(once);
    expect((await analytics.totals()).events).toEqual({ view: 3 });
    expect((await users.load('u')).counts.total).toBe(2);
  });

  it('counts a batch written whole once when it is redelivered', async () => {
    const { processor, analytics, users } = setup();
    const events = [view('u', 'r1', 'sku-1'), view('u', 'r2', 'sku-2')];
    await processor.handleBatch(events.map((e) => delivered(e)));
    await processor.handleBatch(events.map((e) => delivered(e, 2)));
    expect((await analytics.totals()).events).toEqual({ view: 2 });
    expect((await users.load('u')).counts.total).toBe(2);
  });
});
