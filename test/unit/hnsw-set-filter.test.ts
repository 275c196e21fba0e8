import { describe, expect, it } from 'vitest';
import { HnswVectorIndex } from '../../engine/recommend/adapters/hnsw-vector-index.js';
import { setFilter, setFilterParts } from '../../engine/recommend/vector-index.js';
import { addScaled, normalize, normalized } from '../../engine/recommend/logic/vector-math.js';
import { mulberry32 } from '../../models/content-encoder.js';

/**
 * A set filter (vector-index.ts setFilter) is answered by slot inside HnswVectorIndex (its
 * AllowedSlots view): the answers must be exactly those of the same filter as a plain function,
 * through the walk, the sampling, the exact scan and the memo, and after the allowed set, the
 * excluded ids or the index change.
 */

const DIM = 16;
const random = mulberry32(777);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const centers = Array.from({ length: 12 }, () => normalize(Float32Array.from({ length: DIM }, gaussian)));

function vectorFor(i: number): Float32Array {
  const v = Float32Array.from(centers[i % centers.length]!);
  addScaled(v, normalize(Float32Array.from({ length: DIM }, gaussian)), 0.7);
  return v;
}

function build(items: number): { index: HnswVectorIndex; ids: string[] } {
  const index = new HnswVectorIndex({ dimension: DIM, m: 12, efConstruction: 100, ef: 32, seed: 5 });
  const ids: string[] = [];
  for (let i = 0; i < items; i++) {
    ids.push(`item-${i}`);
    index.upsert(`item-${i}`, vectorFor(i));
  }
  return { index, ids };
}

describe('setFilter', () => {
  it('is the plain filter "in allowed, not excluded", and describes itself', () => {
    const allowed = new Set(['a', 'b', 'c']);
    const excluded = new Set(['b', 'z']);
    const parts = { allowed, allowedVersion: 1, excluded };
    const filter = setFilter(parts);
    expect(['a', 'b', 'c', 'z', 'q'].map(filter)).toEqual([true, false, true, false, false]);
    expect(setFilterParts(filter)).toBe(parts);
    expect(setFilterParts((id) => id === 'a')).toBeUndefined();
    expect(setFilterParts(undefined)).toBeUndefined();
  });
});

describe('HnswVectorIndex with a set filter', () => {
  it('answers exactly as the same filter called per id, for walks, scans and selective filters', () => {
    const { index, ids } = build(1500);
    for (const share of [0.95, 0.6, 0.1, 0.01]) {
      const allowed = new Set(ids.filter(() => random() < share));
      const excluded = new Set(ids.filter(() => random() < 0.02));
      const filter = setFilter({ allowed, allowedVersion: 1, excluded });
      const plain = (id: string) => !excluded.has(id) && allowed.has(id);
      for (let q = 0; q < 20; q++) {
        const query = normalized(vectorFor(q * 31));
        for (const k of [1, 10, 40]) expect(index.search(query, k, filter)).toEqual(index.search(query, k, plain));
      }
    }
  });

  it('leaves no excluded id out of the next search (the cleared slots are restored)', () => {
    const { index, ids } = build(600);
    const allowed = new Set(ids);
    const query = normalized(vectorFor(3));
    const nearest = index.search(query, 5).map((n) => n.id);
    const without = index.search(query, 5, setFilter({ allowed, allowedVersion: 1, excluded: new Set(nearest) }));
    expect(without.some((n) => nearest.includes(n.id))).toBe(false);
    const again = index.search(query, 5, setFilter({ allowed, allowedVersion: 1, excluded: new Set() }));
    expect(again.map((n) => n.id)).toEqual(nearest);
  });

  it('follows changes of the allowed set (by its version) and of the index', () => {
    const { index, ids } = build(800);
    const allowed = new Set(ids);
    const excluded = new Set<string>();
    const query = normalized(vectorFor(7));
    const plain = (id: string) => !excluded.has(id) && allowed.has(id);
    const first = index.search(query, 10, setFilter({ allowed, allowedVersion: 1, excluded }));
    expect(first).toEqual(index.search(query, 10, plain));
    // The catalog takes the nearest items out of stock: a new version.
    for (const { id } of first.slice(0, 4)) allowed.delete(id);
    expect(index.search(query, 10, setFilter({ allowed, allowedVersion: 2, excluded }))).toEqual(index.search(query, 10, plain));
    // New items (new slots) and a removed one (a freed slot, then reused).
    index.remove(first[5]!.id);
    for (let i = 800; i < 860; i++) {
      index.upsert(`item-${i}`, vectorFor(i));
      if (i % 2 === 0) allowed.add(`item-${i}`);
    }
    expect(index.search(query, 10, setFilter({ allowed, allowedVersion: 3, excluded }))).toEqual(index.search(query, 10, plain));
  });

  it('answers from a memo exactly as the plain filter does', () => {
    const { index, ids } = build(1200);
    const allowed = new Set(ids.filter((_, i) => i % 9 !== 0));
    const excluded = new Set(ids.slice(0, 30));
    const plain = (id: string) => !excluded.has(id) && allowed.has(id);
    const withSet = { value: undefined as object | undefined };
    const withPlain = { value: undefined as object | undefined };
    let taste = normalized(vectorFor(11));
    for (let step = 0; step < 40; step++) {
      const a = index.search(taste, 20, setFilter({ allowed, allowedVersion: 1, excluded }), withSet);
      const b = index.search(taste, 20, plain, withPlain);
      expect(a).toEqual(b);
      const next = Float32Array.from(taste);
      addScaled(next, normalized(vectorFor(step)), 0.02);
      taste = normalized(next);
    }
  });
});
