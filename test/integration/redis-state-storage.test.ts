import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
import { RedisUserStateStore } from '../../engine/shoppers/adapters/redis-user-state-store.js';
import { RedisInteractionStats } from '../../engine/recommend/adapters/redis-interaction-stats.js';
import { RedisPartitionLeases } from '../../engine/stream/adapters/redis-partition-leases.js';
import { randomPrefix } from '../helpers/redis-suite.js';
import { change, useStateSuite, vectorOf } from '../helpers/state-suite.js';

/**
 * The Redis state adapters' storage details: key layout under the user's hash tag, value encodings,
 * script reloads, a lost connection and key prefixes. The port's behaviour: state-conformance.test.ts
 * and shopper-state-conformance.test.ts.
 */
const suite = useStateSuite();
const prefix = randomPrefix;

describe('Redis adapters: storage details', () => {
  it('keeps every key of a user under its hash tag, the vector as Float32 LE bytes', async () => {
    const keyPrefix = prefix();
    const store = new RedisUserStateStore(suite.redis(), { recentLimit: 5, dedupeTtlSeconds: 60, keyPrefix });
    const vector = vectorOf(11, 3);
    await store.apply('u:1', change({ eventId: 'e1', vector, recent: [{ itemId: 'a', type: 'view', ts: 5 }], bought: ['a'] }));
    const keys = (await suite.redis().keys(`${keyPrefix}*`)).sort();
    expect(keys).toEqual(['bought', 'ev:e1', 'recent', 'st', 'vec'].map((k) => `${keyPrefix}u:{u:1}:${k}`));
    const stored = await suite.redis().getBuffer(`${keyPrefix}u:{u:1}:vec`);
    expect(stored?.length).toBe(12);
    expect([0, 1, 2].map((i) => stored?.readFloatLE(i * 4))).toEqual([...vector]);
    const ttl = await suite.redis().ttl(`${keyPrefix}u:{u:1}:ev:e1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it("keeps affinity and the cart in their own keys under the user's hash tag, an empty cart as none", async () => {
    const keyPrefix = prefix();
    const store = new RedisUserStateStore(suite.redis(), { recentLimit: 5, dedupeTtlSeconds: 60, keyPrefix });
    const affinity = {
      landmark: 5,
      categories: new Map([['home', 1]]),
      brands: new Map([['lumo', 0.1]]),
      brandEvents: new Map([['lumo', 1]]),
    };
    await store.apply(
      'u:1',
      change({
        eventId: 'e1',
        affinity,
        cart: new Map([['a', 2]]),
        purchases: { orders: 1, spend: 3, firstPurchaseAt: 5, lastPurchaseAt: 5 },
        firstSeenAt: 5,
      }),
    );
    const key = (name: string) => `${keyPrefix}u:{u:1}:${name}`;
    expect((await suite.redis().keys(`${keyPrefix}*`)).sort()).toEqual(['aff', 'cart', 'ev:e1', 'st'].map(key));
    expect(JSON.parse((await suite.redis().get(key('aff')))!)).toEqual({ l: 5, c: [['home', 1]], b: [['lumo', 0.1]], n: [['lumo', 1]] });
    expect(await suite.redis().get(key('cart'))).toBe('[["a",2]]');
    expect(await suite.redis().hmget(key('st'), 'orders', 'spend', 'firstSeenAt')).toEqual(['1', '3', '5']);
    await store.apply('u:1', change({ eventId: 'e2', expectedVersion: 1, cart: new Map() }));
    expect(await suite.redis().exists(key('cart'))).toBe(0);
    // a value another version wrote that this one cannot read counts as none, not as a failure
    await suite.redis().set(key('aff'), '{"l":');
    expect((await store.load('u:1')).affinity).toEqual({ landmark: 0, categories: new Map(), brands: new Map(), brandEvents: new Map() });
  });

  it('recovers when the server forgot its scripts (NOSCRIPT falls back to EVAL)', async () => {
    const store = new RedisUserStateStore(suite.redis(), { recentLimit: 5, dedupeTtlSeconds: 60, keyPrefix: prefix() });
    const stats = new RedisInteractionStats(suite.redis(), { popularityHalfLifeSeconds: 3600, dedupeTtlSeconds: 60, keyPrefix: prefix() });
    await store.apply('u1', change({ eventId: 'e1' }));
    await suite.redis().script('FLUSH');
    expect(await store.apply('u1', change({ eventId: 'e2', expectedVersion: 1 }))).toBe('applied');
    await suite.redis().script('FLUSH');
    // loadMany's prebuilt EVALSHA (NOSCRIPT: read again through the command)
    const [loaded] = await store.loadMany([{ userId: 'u1', eventIds: ['e2', 'e3'] }]);
    expect(loaded!.state.version).toBe(2);
    expect(loaded!.markers).toEqual(['1', null]);
    await suite.redis().script('FLUSH');
    expect(await stats.record('e1', { items: [['a', 1]], pairs: [], ts: Date.now() })).toBe(true);
  });

  it('reports a lost connection as unavailable', async () => {
    const lost = new Redis(suite.redisUrl(), { maxRetriesPerRequest: 0, lazyConnect: true, enableOfflineQueue: false });
    const store = new RedisUserStateStore(lost, { recentLimit: 5, dedupeTtlSeconds: 60 });
    const err = await store.load('u1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PulseError);
    expect((err as PulseError).code).toBe('unavailable');
    lost.disconnect();
  });

  it('rejects a key prefix that would break the hash tags', () => {
    expect(() => new RedisPartitionLeases(suite.redis(), { keyPrefix: 'a{b}' })).toThrow(PulseError);
  });
});
