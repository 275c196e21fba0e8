import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { RedisInteractionStats } from '../../engine/recommend/adapters/redis-interaction-stats.js';
import { eventEffect } from '../../engine/shoppers/logic/event-effect.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { InteractionStats } from '../../engine/recommend/interaction-stats.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import { randomPrefix, useRedisServer } from '../helpers/redis-suite.js';

/**
 * The purchase relations of the InteractionStats port (co-purchase, bought-after), one suite run
 * against RedisInteractionStats on a redis-server of its own (every test under a random key
 * prefix) and against MemoryInteractionStats. The rest of the port is in state-conformance.test.ts.
 */
let redis: Redis;
useRedisServer((client) => {
  redis = client;
});

type Make = (options?: { maxNeighbours?: number }) => InteractionStats;
const week = 7 * 24 * 3600;
const implementations: Array<[string, Make]> = [
  ['memory', (options = {}) => new MemoryInteractionStats({ popularityHalfLifeSeconds: week, dedupeTtlSeconds: 3600, ...options })],
  [
    'redis',
    (options = {}) =>
      new RedisInteractionStats(redis, { popularityHalfLifeSeconds: week, dedupeTtlSeconds: 3600, keyPrefix: randomPrefix(), ...options }),
  ],
];
const T = Date.now() - 3600_000;

describe.each(implementations)('InteractionStats conformance: co-purchase and bought-after (%s)', (_name, make) => {
  it('keeps co-purchase apart from co-visitation, in both directions, accumulating', async () => {
    const stats = make();
    await stats.record('e1', {
      items: [],
      pairs: [['tv', 'tv2', 1]],
      coPurchases: [
        ['tv', 'bracket', 1],
        ['tv', 'soundbar', 0.5],
        ['tv', 'tv', 9],
      ],
      ts: T,
    });
    await stats.record('e2', { items: [], pairs: [], coPurchases: [['soundbar', 'tv', 1]], ts: T });
    expect(await stats.coPurchased('tv', 10)).toEqual([
      ['soundbar', 1.5],
      ['bracket', 1],
    ]);
    expect(await stats.coPurchased('bracket', 10)).toEqual([['tv', 1]]);
    expect(await stats.coPurchased('soundbar', 10)).toEqual([['tv', 1.5]]);
    expect(await stats.coVisited('tv', 10)).toEqual([['tv2', 1]]);
    expect(await stats.coPurchased('tv2', 10)).toEqual([]);
    expect(await stats.coPurchased('tv', 1)).toEqual([['soundbar', 1.5]]);
  });

  it('counts bought-after one way only: earlier -> later', async () => {
    const stats = make();
    await stats.record('e1', {
      items: [],
      pairs: [],
      boughtAfter: [
        ['tv', 'bracket', 1],
        ['tv', 'soundbar', 2],
        ['tv', 'tv', 5],
      ],
      ts: T,
    });
    await stats.record('e2', { items: [], pairs: [], boughtAfter: [['tv', 'bracket', 1.5]], ts: T });
    expect(await stats.boughtAfter('tv', 10)).toEqual([
      ['bracket', 2.5],
      ['soundbar', 2],
    ]);
    expect(await stats.boughtAfter('bracket', 10)).toEqual([]);
    expect(await stats.coPurchased('tv', 10)).toEqual([]);
    expect(await stats.coVisited('tv', 10)).toEqual([]);
  });

  it('applies an update once per event key, all of its lists or none', async () => {
    const stats = make();
    const update = {
      items: [['tv', 1]] as Array<[string, number]>,
      pairs: [['tv', 'tv2', 1]] as Array<[string, string, number]>,
      coPurchases: [['tv', 'bracket', 1]] as Array<[string, string, number]>,
      boughtAfter: [['tv', 'soundbar', 1]] as Array<[string, string, number]>,
      ts: T,
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => stats.record('same', update)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await stats.coPurchased('tv', 10)).toEqual([['bracket', 1]]);
    expect(await stats.boughtAfter('tv', 10)).toEqual([['soundbar', 1]]);
    expect(await stats.coVisited('tv', 10)).toEqual([['tv2', 1]]);
    expect(await stats.popular(10)).toEqual([['tv', 1]]);
  });

  it('bounds co-purchase and bought-after lists as it bounds co-visitation', async () => {
    const stats = make({ maxNeighbours: 4 });
    for (let i = 1; i <= 10; i++) {
      await stats.record(`e${i}`, { items: [], pairs: [], coPurchases: [['a', `b${i}`, i]], boughtAfter: [['a', `c${i}`, i]], ts: T });
      expect((await stats.coPurchased('a', 100)).length).toBeLessThanOrEqual(6);
      expect((await stats.boughtAfter('a', 100)).length).toBeLessThanOrEqual(6);
    }
    expect(await stats.coPurchased('a', 100)).toEqual([
      ['b10', 10],
      ['b9', 9],
      ['b8', 8],
      ['b7', 7],
    ]);
    expect(await stats.boughtAfter('a', 100)).toEqual([
      ['c10', 10],
      ['c9', 9],
      ['c8', 8],
      ['c7', 7],
    ]);
  });

  it('rejects bad purchase relations with invalid_request and records nothing of the update', async () => {
    const stats = make();
    const invalid = async (promise: Promise<unknown>) => {
      const err = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PulseError);
      expect((err as PulseError).code).toBe('invalid_request');
    };
    await invalid(stats.record('e1', { items: [['tv', 1]], pairs: [], coPurchases: [['tv', 'bracket', Number.NaN]], ts: T }));
    await invalid(stats.record('e1', { items: [['tv', 1]], pairs: [], boughtAfter: [['tv', '', 1]], ts: T }));
    await invalid(stats.coPurchased('', 10));
    await invalid(stats.boughtAfter('tv', -1));
    expect(await stats.popular(10)).toEqual([]);
    expect(await stats.record('e1', { items: [], pairs: [], boughtAfter: [['tv', 'bracket', 1]], ts: T })).toBe(true);
    expect(await stats.boughtAfter('tv', 10)).toEqual([['bracket', 1]]);
  });

  it('learns from purchase effects: a TV, then a bracket bought later by the same shopper', async () => {
    const stats = make();
    const options = { tasteHalfLifeSeconds: 3600, sessionGapSeconds: 1800, coVisitWindow: 5, recentLimit: 50 };
    const vectors = { item: () => undefined, text: () => new Float32Array(4) };
    let state: UserState = emptyUserState();
    const events: StoredEvent[] = [
      { id: 'v1', userId: 'u', type: 'view', itemId: 'tv', ts: T, receivedAt: T },
      {
        id: 'p1',
        userId: 'u',
        type: 'purchase',
        items: [
          { itemId: 'tv', quantity: 1, price: 500 },
          { itemId: 'cable', quantity: 1, price: 5 },
        ],
        ts: T + 60_000,
        receivedAt: T,
      },
      {
        id: 'p2',
        userId: 'u',
        type: 'purchase',
        items: [
          { itemId: 'bracket', quantity: 1, price: 40 },
          { itemId: 'cable', quantity: 2, price: 5 },
        ],
        ts: T + 2 * 86_400_000,
        receivedAt: T,
      },
    ];
    for (const event of events) {
      const effect = eventEffect(state, event, vectors, options);
      expect(await stats.record(event.id, effect.stats)).toBe(true);
      state = effect.next;
    }
    expect(await stats.coPurchased('tv', 10)).toEqual([['cable', 1]]);
    expect(await stats.coPurchased('bracket', 10)).toEqual([['cable', 1]]);
    // cable was bought before: its re-order says nothing new; the bracket counts after both earlier lines
    expect(await stats.boughtAfter('tv', 10)).toEqual([['bracket', 1 / Math.sqrt(2)]]);
    expect(await stats.boughtAfter('cable', 10)).toEqual([['bracket', 1 / Math.sqrt(2)]]);
    expect(await stats.boughtAfter('bracket', 10)).toEqual([]);
  });
});
