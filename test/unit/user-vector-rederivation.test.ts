import { describe, expect, it } from 'vitest';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { isPulseError } from '../../engine/contracts/errors.js';
import { eventEffect, inSpaceOf, rederiveTaste, type EffectOptions, type VectorLookup } from '../../engine/shoppers/logic/event-effect.js';
import { cosine } from '../../engine/recommend/logic/vector-math.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { RecentInteraction, UserState } from '../../engine/shoppers/user-state-store.js';
import { DIM, seededUnit } from '../helpers/model-registry-fixtures.js';

/** A user vector of another model version or dimension, re-derived lazily from the recent history in the serving model's space. */

describe('lazy re-derivation of user vectors', () => {
  const T0 = 1_750_000_000_000;
  const HALF_LIFE = 3600;
  const options: EffectOptions = { tasteHalfLifeSeconds: HALF_LIFE, sessionGapSeconds: 1800, coVisitWindow: 5, recentLimit: 50 };
  const axis = (i: number, dimension = 4) => Float32Array.from({ length: dimension }, (_, j) => (j === i ? 1 : 0));
  const learned: VectorLookup = {
    item: (id) => ({ a: axis(0), b: axis(1), c: axis(2) })[id],
    text: () => new Float32Array(4),
    version: 'v2',
    dimension: 4,
  };
  const user = (recent: RecentInteraction[], extra: Partial<UserState> = {}): UserState => ({
    ...emptyUserState(),
    vector: seededUnit('old-space', DIM),
    strength: 12,
    updatedAt: recent[0]?.ts ?? T0,
    version: 7,
    recent,
    bought: new Set(),
    counts: {},
    tier: 'regular',
    ...extra,
  });

  it('folds the recent history in the new space, newest weighing most, purchases shared per basket', () => {
    // Newest first, as stored: a purchase of b and c (one basket), then an older view of a.
    const recent: RecentInteraction[] = [
      { itemId: 'b', type: 'purchase', ts: T0 + 3_600_000 },
      { itemId: 'c', type: 'purchase', ts: T0 + 3_600_000 },
      { itemId: 'a', type: 'view', ts: T0 },
      { itemId: 'gone', type: 'view', ts: T0 - 1000 },
    ];
    const state = inSpaceOf(user(recent), learned, HALF_LIFE);
    expect(state.vectorVersion).toBe('v2');
    expect(state.vector).toHaveLength(4);
    const [a, b, c] = [...state.vector!];
    // a was viewed (weight 1) an hour (one half-life) before the basket: 0.5; b and c share 5 as 5/sqrt(2).
    expect(b! / a!).toBeCloseTo(5 / Math.SQRT2 / 0.5, 4);
    expect(b).toBeCloseTo(c!, 6);
    expect(state.strength).toBeCloseTo(0.5 + 2 * (5 / Math.SQRT2), 4);
    expect(state.version).toBe(7);
    // Order matters: the same items the other way round lean towards a.
    const reversed = rederiveTaste(
      [recent[2]!, recent[0]!, recent[1]!].map((r, i) => ({ ...r, ts: T0 + (2 - i) * 3_600_000 })),
      learned,
      HALF_LIFE,
      T0 + 7_200_000,
    );
    expect(reversed.vector![0]).toBeGreaterThan(state.vector![0]!);
  });

  it('leaves a vector of the serving version alone and re-derives one of another version or dimension', () => {
    const recent: RecentInteraction[] = [{ itemId: 'a', type: 'view', ts: T0 }];
    const current = user(recent, { vector: axis(3), vectorVersion: 'v2' });
    expect(inSpaceOf(current, learned, HALF_LIFE)).toBe(current);
    // No recorded version means attribute vectors: stale under v2.
    expect(inSpaceOf(user(recent, { vector: axis(3) }), learned, HALF_LIFE).vector).toEqual(axis(0));
    // Same version name but another dimension (VECTOR_DIM changed): re-derived too.
    expect(inSpaceOf(user(recent, { vectorVersion: 'v2' }), learned, HALF_LIFE).vector).toEqual(axis(0));
    // Nothing known in the new space: no vector rather than one from the wrong space.
    const unknown = inSpaceOf(user([{ itemId: 'gone', type: 'view', ts: T0 }]), learned, HALF_LIFE);
    expect(unknown.vector).toBeNull();
    expect(unknown.strength).toBe(0);
  });

  it('stores the re-derived vector with the next event, with its version, even when the event moves nothing', async () => {
    const store = new MemoryUserStateStore({ recentLimit: 50, dedupeTtlSeconds: 60 });
    const view = (id: string, itemId: string, ts: number): StoredEvent => ({ id, userId: 'u1', type: 'view', itemId, ts, receivedAt: ts });
    const attributes: VectorLookup = {
      item: (id) => ({ a: axis(3), b: axis(2) })[id],
      text: () => new Float32Array(4),
      version: 'attributes-v1',
      dimension: 4,
    };
    for (const [i, itemId] of ['a', 'b'].entries()) {
      const effect = eventEffect(await store.load('u1'), view(`e${i}`, itemId, T0 + i * 1000), attributes, options);
      expect(effect.change.vectorVersion).toBe('attributes-v1');
      expect(await store.apply('u1', effect.change)).toBe('applied');
    }
    const stale = await store.load('u1');
    expect(stale.vectorVersion).toBe('attributes-v1');

    const effect = eventEffect(stale, view('e2', 'not-in-model', T0 + 5000), learned, options);
    expect(effect.change.vectorVersion).toBe('v2');
    expect(cosine(effect.change.vector!, rederiveTaste(stale.recent, learned, HALF_LIFE, stale.updatedAt).vector!)).toBeCloseTo(1, 6);
    expect(await store.apply('u1', effect.change)).toBe('applied');
    const stored = await store.load('u1');
    expect(stored.vectorVersion).toBe('v2');
    expect(cosine(stored.vector!, effect.next.vector!)).toBeCloseTo(1, 6);
    expect(inSpaceOf(stored, learned, HALF_LIFE)).toBe(stored);
  });

  it('refuses a vector version without a vector', async () => {
    const store = new MemoryUserStateStore({ recentLimit: 50, dedupeTtlSeconds: 60 });
    const change = {
      eventId: 'e1',
      expectedVersion: 0,
      type: 'view' as const,
      strength: 1,
      updatedAt: T0,
      recent: [],
      bought: [],
      vectorVersion: 'v2',
    };
    const error = await store.apply('u1', change).catch((err: unknown) => err);
    expect(isPulseError(error) && error.code).toBe('invalid_request');
    expect((await store.load('u1')).version).toBe(0);
  });
});
