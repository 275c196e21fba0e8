import { describe, expect, it } from 'vitest';
import { HnswVectorIndex } from '../../engine/recommend/adapters/hnsw-vector-index.js';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { bruteForce, data, DIM, ids, itemIds, near, rng } from '../helpers/vector-index-dataset.js';

// What only the HNSW adapter does: an exact fallback when deletions cut the graph apart, capacity
// doubling, option checks. What every VectorIndex does: vector-index-conformance.test.ts.

describe('HnswVectorIndex specifics', () => {
  it('falls back to an exact scan when deletions cut the graph apart', () => {
    // m = 2 and 95% deleted leaves most live nodes unreachable from the entry point: the graph
    // alone answers short, the index must not.
    const sparse = new HnswVectorIndex({ dimension: DIM, m: 2, efConstruction: 50, ef: 20, seed: 1, planner: 'graph-first' });
    const random = rng(77);
    const live = new Map<string, Float32Array>();
    for (const id of itemIds) sparse.upsert(id, data.vectors.get(id)!);
    for (const id of itemIds) {
      if (random() < 0.95) sparse.remove(id);
      else live.set(id, data.vectors.get(id)!);
    }
    expect(sparse.size).toBe(live.size);
    for (let q = 0; q < 10; q++) {
      const query = near(data.centers[q]!, random, 0.5);
      expect(ids(sparse.search(query, live.size))).toEqual(ids(bruteForce(live, query, live.size)));
    }
  });

  it('doubles its capacity when full', () => {
    const index = new HnswVectorIndex({ dimension: DIM, m: 8, efConstruction: 50, ef: 20, initialCapacity: 4 });
    expect(index.capacity).toBe(4);
    for (const id of itemIds.slice(0, 5)) index.upsert(id, data.vectors.get(id)!);
    expect(index.capacity).toBe(8);
    index.remove(itemIds[0]!);
    index.upsert('reuses-a-slot', data.vectors.get(itemIds[0]!)!);
    expect(index.capacity).toBe(8);
    expect(index.search(data.vectors.get(itemIds[0]!)!, 1)[0]?.id).toBe('reuses-a-slot');
  });

  it('views a stored vector in place: the values get copies, no copy', () => {
    const index = new HnswVectorIndex({ dimension: DIM, m: 8, efConstruction: 50, ef: 20, initialCapacity: 4 });
    for (const id of itemIds.slice(0, 3)) index.upsert(id, data.vectors.get(id)!);
    const id = itemIds[1]!;
    const view = index.view(id);
    expect(view).toBeInstanceOf(Float32Array);
    expect(Array.from(view!)).toEqual(Array.from(index.get(id)!));
    // In place: the index's own storage (an upsert of the same id shows through a view taken before).
    index.upsert(id, data.vectors.get(itemIds[2]!)!);
    expect(Array.from(view!)).toEqual(Array.from(index.get(id)!));
    expect(index.view('unknown')).toBeUndefined();
  });

  it('rejects bad options with a RangeError', () => {
    const good = { dimension: DIM, m: 16, efConstruction: 100, ef: 50 };
    for (const bad of [{ dimension: 0 }, { dimension: 2.5 }, { m: 1 }, { efConstruction: 0 }, { ef: NaN }, { initialCapacity: 0 }]) {
      expect(() => new HnswVectorIndex({ ...good, ...bad })).toThrow(RangeError);
    }
    expect(() => new ExactVectorIndex({ dimension: -1 })).toThrow(RangeError);
  });
});
