import { describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import type { Candidate } from '../../engine/recommend/logic/candidate.js';
import { measure } from '../../engine/recommend/logic/taste-query.js';
import { normalized } from '../../engine/recommend/logic/vector-math.js';
import type { VectorIndex } from '../../engine/recommend/vector-index.js';
import { data, DIM, fill, itemIds, rng } from '../helpers/vector-index-dataset.js';

// measure() batches through VectorIndex.similarities when the index has it; without it, one
// similarity() per candidate. Both must leave every candidate exactly the same.

/** The same index seen through the port without the optional batch. */
function oneByOne(index: VectorIndex): VectorIndex {
  return {
    dimension: index.dimension,
    get size() {
      return index.size;
    },
    upsert: (id, vector) => index.upsert(id, vector),
    remove: (id) => index.remove(id),
    has: (id) => index.has(id),
    get: (id) => index.get(id),
    similarity: (id, query) => index.similarity(id, query),
    pairSimilarity: (a, b) => index.pairSimilarity(a, b),
    search: (query, k, filter, memo) => index.search(query, k, filter, memo),
    scanExact: (query, k, ids) => index.scanExact(query, k, ids),
  };
}

describe('measure', () => {
  const index = new ExactVectorIndex({ dimension: DIM });
  fill(index, data.vectors);

  it('gives the same similarities and relevance with the batch as one by one', () => {
    const random = rng(5);
    for (let round = 0; round < 40; round++) {
      const taste = normalized(Float32Array.from({ length: DIM }, () => random() - 0.5));
      const searchedTaste = round % 2 === 0;
      const relevance = round % 3 === 0 ? (id: string) => id.length / 10 : undefined;
      const make = (): Candidate[] =>
        Array.from({ length: Math.floor(random() * 50) }, (_, i) => {
          const itemId = i % 11 === 3 ? `unknown-${i}` : itemIds[Math.floor(random() * itemIds.length)]!;
          return i % 4 === 0 ? { itemId, similarity: 0.25 } : { itemId };
        });
      const batched = make();
      const single = structuredClone(batched);
      measure(index, batched, taste, relevance, searchedTaste);
      measure(oneByOne(index), single, taste, relevance, searchedTaste);
      expect(batched).toEqual(single);
      for (let i = 0; i < batched.length; i++) expect(Object.is(batched[i]!.similarity, single[i]!.similarity)).toBe(true);
    }
  });

  it('measures only what the taste search did not, and leaves an unknown id as it was', () => {
    const taste = normalized(data.vectors.get(itemIds[0]!)!);
    const candidates: Candidate[] = [{ itemId: itemIds[1]!, similarity: 0.5 }, { itemId: itemIds[2]! }, { itemId: 'unknown' }];
    measure(index, candidates, taste, undefined, true);
    expect(candidates[0]!.similarity).toBe(0.5);
    expect(candidates[1]!.similarity).toBe(index.similarity(itemIds[2]!, taste));
    expect(candidates[2]!.similarity).toBeUndefined();
    measure(index, candidates, taste, undefined, false);
    expect(candidates[0]!.similarity).toBe(index.similarity(itemIds[1]!, taste));
  });
});
