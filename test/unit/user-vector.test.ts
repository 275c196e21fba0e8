import { describe, expect, it } from 'vitest';
import { MAX_TASTE_STRENGTH, decayedStrength, foldIn, foldInMany } from '../../engine/shoppers/logic/user-vector.js';
import { popularityWeight, tasteWeight } from '../../engine/shoppers/logic/event-weights.js';
import { INTERACTION_TYPES } from '../../engine/contracts/schemas.js';
import { addScaled, cosine, norm, normalize, scale } from '../../engine/recommend/logic/vector-math.js';
import { mulberry32 } from '../../models/content-encoder.js';

const DIM = 32;
const HALF_LIFE = 3600; // seconds
const T0 = 1_700_000_000_000;

function randomUnit(seed: number): Float32Array {
  const random = mulberry32(seed);
  const v = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) v[i] = random() * 2 - 1;
  return normalize(v);
}

describe('foldIn', () => {
  it('starts the taste at the first item', () => {
    const item = randomUnit(1);
    const next = foldIn({ vector: null, strength: 0, updatedAt: 0 }, item, 1, T0, HALF_LIFE);
    expect(cosine(next.vector, item)).toBeCloseTo(1, 5);
    expect(next.strength).toBe(1);
    expect(next.updatedAt).toBe(T0);
    expect(next.vector).not.toBe(item);
  });

  it('moves the vector toward the item, by more for a heavier event', () => {
    const taste = randomUnit(2);
    const item = randomUnit(3);
    const current = { vector: taste, strength: 5, updatedAt: T0 };
    const view = foldIn(current, item, tasteWeight.view, T0, HALF_LIFE);
    const purchase = foldIn(current, item, tasteWeight.purchase, T0, HALF_LIFE);
    expect(cosine(view.vector, item)).toBeGreaterThan(cosine(taste, item));
    expect(cosine(purchase.vector, item)).toBeGreaterThan(cosine(view.vector, item));
    expect(norm(view.vector)).toBeCloseTo(1, 5);
    expect(view.strength).toBe(6);
    expect(purchase.strength).toBe(10);
  });

  it('decays the old taste by 2^(-dt/halfLife), so a later event moves it further', () => {
    const taste = randomUnit(4);
    const item = randomUnit(5);
    const current = { vector: taste, strength: 8, updatedAt: T0 };
    const soon = foldIn(current, item, 1, T0, HALF_LIFE);
    const later = foldIn(current, item, 1, T0 + HALF_LIFE * 1000, HALF_LIFE);
    expect(later.strength).toBeCloseTo(8 / 2 + 1, 6);
    expect(cosine(later.vector, item)).toBeGreaterThan(cosine(soon.vector, item));
    expect(decayedStrength(current, T0 + 2 * HALF_LIFE * 1000, HALF_LIFE)).toBeCloseTo(2, 6);
  });

  it('decays nothing for an event older than the last one (out of order)', () => {
    const current = { vector: randomUnit(6), strength: 4, updatedAt: T0 };
    const next = foldIn(current, randomUnit(7), 1, T0 - 10 * HALF_LIFE * 1000, HALF_LIFE);
    expect(next.strength).toBe(5);
    expect(next.updatedAt).toBe(T0);
  });

  it('pushes away on a negative weight without adding strength', () => {
    const taste = randomUnit(8);
    const item = randomUnit(9);
    const current = { vector: taste, strength: 3, updatedAt: T0 };
    const next = foldIn(current, item, tasteWeight.dislike, T0, HALF_LIFE);
    expect(cosine(next.vector, item)).toBeLessThan(cosine(taste, item));
    expect(next.strength).toBe(3);
    expect(norm(next.vector)).toBeCloseTo(1, 5);
  });

  it('keeps the old direction when a dislike cancels the taste exactly', () => {
    const item = randomUnit(10);
    const next = foldIn({ vector: item, strength: 1, updatedAt: T0 }, item, -1, T0, HALF_LIFE);
    expect(cosine(next.vector, item)).toBeCloseTo(1, 5);
    expect(next.strength).toBe(1);
  });

  it('gives a first negative event a vector pointing away, with strength 0', () => {
    const item = randomUnit(11);
    const next = foldIn({ vector: null, strength: 0, updatedAt: 0 }, item, -3, T0, HALF_LIFE);
    expect(cosine(next.vector, item)).toBeCloseTo(-1, 5);
    expect(next.strength).toBe(0);
  });

  it('caps strength so a long-time shopper still moves on every event', () => {
    let state = { vector: randomUnit(12) as Float32Array | null, strength: 0, updatedAt: T0 };
    for (let i = 0; i < 50; i++) state = foldIn(state, randomUnit(100 + i), tasteWeight.purchase, T0, HALF_LIFE);
    expect(state.strength).toBe(MAX_TASTE_STRENGTH);
    const item = randomUnit(999);
    const before = cosine(state.vector!, item);
    const after = cosine(foldIn(state, item, tasteWeight.view, T0, HALF_LIFE).vector, item);
    // At the cap a view moves at least 1/21 of the way toward the item.
    expect(after - before).toBeGreaterThan(0.02);
  });

  it('never mutates its inputs', () => {
    const taste = randomUnit(13);
    const item = randomUnit(14);
    const tasteCopy = Float32Array.from(taste);
    const itemCopy = Float32Array.from(item);
    const current = { vector: taste, strength: 2, updatedAt: T0 };
    const next = foldIn(current, item, 1, T0 + 1000, HALF_LIFE);
    expect(Array.from(taste)).toEqual(Array.from(tasteCopy));
    expect(Array.from(item)).toEqual(Array.from(itemCopy));
    expect(current).toEqual({ vector: taste, strength: 2, updatedAt: T0 });
    expect(next.vector).not.toBe(taste);
  });

  it('rejects programmer errors', () => {
    const current = { vector: randomUnit(15), strength: 1, updatedAt: T0 };
    expect(() => foldIn(current, new Float32Array(DIM + 1), 1, T0, HALF_LIFE)).toThrow(RangeError);
    expect(() => foldIn(current, randomUnit(16), Number.NaN, T0, HALF_LIFE)).toThrow(RangeError);
    expect(() => foldIn(current, randomUnit(16), 1, T0, 0)).toThrow(RangeError);
    expect(() => foldInMany(current, [], T0, HALF_LIFE)).toThrow(RangeError);
  });
});

describe('foldInMany', () => {
  it('decays once and adds every item with its own weight', () => {
    const taste = randomUnit(20);
    const a = randomUnit(21);
    const b = randomUnit(22);
    const current = { vector: taste, strength: 4, updatedAt: T0 };
    const ts = T0 + HALF_LIFE * 1000;
    const both = foldInMany(
      current,
      [
        { vector: a, weight: 2 },
        { vector: b, weight: 3 },
      ],
      ts,
      HALF_LIFE,
    );
    expect(both.strength).toBeCloseTo(2 + 5, 6);
    expect(cosine(both.vector, a)).toBeGreaterThan(cosine(taste, a));
    expect(cosine(both.vector, b)).toBeGreaterThan(cosine(taste, b));
    // Same as summing by hand: 2 * taste + 2a + 3b, normalised.
    const expected = new Float32Array(DIM);
    for (let i = 0; i < DIM; i++) expected[i] = 2 * taste[i]! + 2 * a[i]! + 3 * b[i]!;
    expect(cosine(both.vector, expected)).toBeCloseTo(1, 5);
  });
});

describe('event weights', () => {
  it('covers every event type, is frozen, and ranks signals sensibly', () => {
    for (const type of INTERACTION_TYPES) {
      expect(Number.isFinite(tasteWeight[type])).toBe(true);
      expect(popularityWeight[type]).toBeGreaterThanOrEqual(0);
    }
    expect(Object.isFrozen(tasteWeight)).toBe(true);
    expect(Object.isFrozen(popularityWeight)).toBe(true);
    expect(tasteWeight.purchase).toBeGreaterThan(tasteWeight.add_to_cart);
    expect(tasteWeight.add_to_cart).toBeGreaterThan(tasteWeight.view);
    expect(tasteWeight.dislike).toBeLessThan(0);
    expect(tasteWeight.remove_from_cart).toBeLessThan(0);
  });
});

describe('foldInMany arithmetic', () => {
  /** The fold as written before its single pass: each vector added in turn into a zeroed array, then norm and scale. */
  function referenceVector(
    past: Float32Array | null,
    decayed: number,
    items: Array<{ vector: Float32Array; weight: number }>,
  ): Float32Array {
    const next = new Float32Array(DIM);
    if (past) addScaled(next, past, decayed);
    for (const item of items) addScaled(next, item.vector, item.weight);
    return scale(next, 1 / norm(next));
  }

  it('gives the same float32 bytes as adding each vector in turn (signed zeros, no taste, several items)', () => {
    const random = mulberry32(99);
    const vector = () =>
      Float32Array.from({ length: DIM }, () => {
        const r = random();
        return r < 0.05 ? -0 : r < 0.1 ? 0 : r * 2 - 1;
      });
    for (let n = 0; n < 500; n++) {
      const past = random() < 0.2 ? null : vector();
      const current = { vector: past, strength: random() * 25, updatedAt: T0 };
      const items = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
        vector: vector(),
        weight: random() < 0.1 ? -1 : random() * 3,
      }));
      const ts = T0 + Math.floor(random() * 1e7);
      const folded = foldInMany(current, items, ts, HALF_LIFE);
      const expected = referenceVector(past, decayedStrength(current, ts, HALF_LIFE), items);
      expect(Buffer.from(folded.vector.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    }
  });
});
