import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
import { bytes, change, expectInvalid, useStateSuite, vectorOf } from '../helpers/state-suite.js';

/**
 * The UserStateStore conformance suite (events, vectors, versions, dedupe) against the Redis adapter
 * and the in-memory fake. Shopper state (affinity, cart, purchases): shopper-state-conformance.test.ts;
 * the Redis adapters' storage details: redis-state-storage.test.ts; InteractionStats and
 * PartitionLeases: stats-leases-conformance.test.ts.
 */
const { implementations } = useStateSuite();

describe.each(implementations)('UserStateStore conformance (%s)', (_name, make) => {
  const options = { recentLimit: 5, dedupeTtlSeconds: 3600 };

  it('returns an empty state for an unknown user', async () => {
    const store = make.users(options);
    expect(await store.load('nobody')).toEqual({
      vector: null,
      strength: 0,
      updatedAt: 0,
      version: 0,
      recent: [],
      bought: new Set(),
      counts: {},
      tier: 'regular',
      affinity: { landmark: 0, categories: new Map(), brands: new Map(), brandEvents: new Map() },
      cart: new Map(),
      purchases: { orders: 0, spend: 0, firstPurchaseAt: 0, lastPurchaseAt: 0 },
      firstSeenAt: 0,
    });
    expect(await store.wasApplied('nobody', 'e1')).toBe(false);
    expect(await store.tier('nobody')).toBe('regular');
  });

  it('stores what apply wrote and load reads it back exactly', async () => {
    const store = make.users(options);
    const vector = vectorOf(7, 64);
    // edge values whose bytes must survive: negative zero, a subnormal, the largest float
    vector.set([-0, 1e-40, 3.4028234663852886e38], 0);
    const first = change({
      eventId: 'e1',
      type: 'purchase',
      vector,
      strength: 1.2345678901234567,
      updatedAt: 1_700_000_000_123,
      recent: [
        { itemId: 'i3', type: 'purchase', ts: 1_700_000_000_123 },
        { itemId: 'i2|odd', type: 'purchase', ts: 1_700_000_000_122 },
      ],
      bought: ['i3', 'i2|odd'],
      tier: 'vip',
    });
    expect(await store.apply('u1', first)).toBe('applied');
    const afterFirst = await store.load('u1');
    expect(afterFirst.vector).not.toBeNull();
    expect(bytes(afterFirst.vector as Float32Array).equals(bytes(vector))).toBe(true);
    expect(afterFirst.strength).toBe(1.2345678901234567);
    expect(afterFirst.updatedAt).toBe(1_700_000_000_123);
    expect(afterFirst.version).toBe(1);
    expect(afterFirst.tier).toBe('vip');
    expect(await store.tier('u1')).toBe('vip');
    expect(afterFirst.counts).toEqual({ purchase: 1, total: 1 });
    expect(afterFirst.bought).toEqual(new Set(['i3', 'i2|odd']));
    expect(afterFirst.recent).toEqual(first.recent);

    // no vector, no tier: both are kept; recent is trimmed to the newest 5
    const recent = [5, 4, 3, 2].map((n) => ({ itemId: `v${n}`, type: 'view' as const, ts: 1_700_000_001_000 + n }));
    expect(
      await store.apply('u1', change({ eventId: 'e2', expectedVersion: 1, strength: 2.5, updatedAt: 1_700_000_001_005, recent })),
    ).toBe('applied');
    const afterSecond = await store.load('u1');
    expect(bytes(afterSecond.vector as Float32Array).equals(bytes(vector))).toBe(true);
    expect(afterSecond.version).toBe(2);
    expect(afterSecond.strength).toBe(2.5);
    expect(afterSecond.tier).toBe('vip');
    expect(afterSecond.counts).toEqual({ purchase: 1, view: 1, total: 2 });
    expect(afterSecond.recent.map((r) => r.itemId)).toEqual(['v5', 'v4', 'v3', 'v2', 'i3']);
    expect(await store.wasApplied('u1', 'e1')).toBe(true);
    expect(await store.wasApplied('u1', 'e2')).toBe(true);
    expect(await store.wasApplied('u2', 'e1')).toBe(false);

    // a new vector replaces the old one
    const replacement = vectorOf(8, 64);
    expect(await store.apply('u1', change({ eventId: 'e3', expectedVersion: 2, vector: replacement, tier: 'enterprise' }))).toBe('applied');
    const afterThird = await store.load('u1');
    expect(bytes(afterThird.vector as Float32Array).equals(bytes(replacement))).toBe(true);
    expect(afterThird.tier).toBe('enterprise');
    expect(await store.tier('u1')).toBe('enterprise');
  });

  it('answers duplicate for an applied event id and changes nothing', async () => {
    const store = make.users(options);
    await store.apply('u1', change({ eventId: 'e1', vector: vectorOf(1, 16), recent: [{ itemId: 'a', type: 'view', ts: 1 }] }));
    const before = await store.load('u1');
    const again = change({
      eventId: 'e1',
      expectedVersion: 1,
      vector: vectorOf(2, 16),
      strength: 9,
      bought: ['x'],
      tier: 'vip',
      affinity: { landmark: 5, categories: new Map([['home', 3]]), brands: new Map([['lumo', 3]]), brandEvents: new Map([['lumo', 1]]) },
      cart: new Map([['x', 2]]),
      purchases: { orders: 1, spend: 10, firstPurchaseAt: 5, lastPurchaseAt: 5 },
      firstSeenAt: 5,
    });
    expect(await store.apply('u1', again)).toBe('duplicate');
    expect(await store.load('u1')).toEqual(before);
  });

  it('answers conflict for a stale expectedVersion and changes nothing', async () => {
    const store = make.users(options);
    expect(await store.apply('u1', change({ eventId: 'e0', expectedVersion: 3 }))).toBe('conflict');
    expect(await store.load('u1')).toEqual(await make.users(options).load('u1'));
    expect(await store.wasApplied('u1', 'e0')).toBe(false);

    await store.apply('u1', change({ eventId: 'e1', bought: ['a'] }));
    const before = await store.load('u1');
    expect(await store.apply('u1', change({ eventId: 'e2', expectedVersion: 0, vector: vectorOf(3, 8), bought: ['b'] }))).toBe('conflict');
    expect(await store.load('u1')).toEqual(before);
    expect(await store.wasApplied('u1', 'e2')).toBe(false);
    // the conflicting event was not marked: retried with the right version it applies
    expect(await store.apply('u1', change({ eventId: 'e2', expectedVersion: 1, bought: ['b'] }))).toBe('applied');
    expect((await store.load('u1')).bought).toEqual(new Set(['a', 'b']));
  });

  it('applies one of 20 concurrent applies of the same event id', async () => {
    const store = make.users(options);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.apply('u1', change({ eventId: 'same' }))));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(19);
    const state = await store.load('u1');
    expect(state.version).toBe(1);
    expect(state.counts.total).toBe(1);
  });

  it('applies one of 20 concurrent applies expecting the same version', async () => {
    const store = make.users(options);
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.apply('u1', change({ eventId: `e${i}` }))));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'conflict')).toHaveLength(19);
    expect((await store.load('u1')).version).toBe(1);
  });

  it('rejects bad input with invalid_request and writes nothing', async () => {
    const store = make.users(options);
    await expectInvalid(store.load('bad{id}'));
    await expectInvalid(store.apply('bad id', change({ eventId: 'e1' })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', vector: Float32Array.of(1, Number.NaN) })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', expectedVersion: -1 })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', type: 'wink' as never })));
    await expectInvalid(store.apply('u1', change({ eventId: '' })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', recent: [{ itemId: 'a', type: 'view', ts: 1.5 }] })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', tier: 'gold' as never })));
    expect(await store.wasApplied('u1', 'e1')).toBe(false);
    expect((await store.load('u1')).version).toBe(0);
    expect(() => make.users({ recentLimit: 0, dedupeTtlSeconds: 10 })).toThrow(PulseError);
  });

  it('forgets an event id after dedupeTtlSeconds', async () => {
    const store = make.users({ recentLimit: 5, dedupeTtlSeconds: 1 });
    await store.apply('u1', change({ eventId: 'e1' }));
    expect(await store.wasApplied('u1', 'e1')).toBe(true);
    await sleep(1200);
    expect(await store.wasApplied('u1', 'e1')).toBe(false);
  });
});
