import { describe, expect, it } from 'vitest';
import { checkDiversity, diversify, meanPairwiseSimilarity } from '../../engine/logic/diversity.js';
import { addScaled, dot, normalize, normalized } from '../../engine/logic/vector-math.js';
import { mulberry32 } from '../../models/content-encoder.js';

const DIM = 24;

/** 6 tight clusters of 10 items; a ranking that puts cluster 0 first, then 1, ... (scores falling slowly). */
function clusteredPool(seed = 1) {
  const random = mulberry32(seed);
  const centers = Array.from({ length: 6 }, () => normalize(Float32Array.from({ length: DIM }, () => random() - 0.5)));
  const vectors = new Map<string, Float32Array>();
  const ranked: Array<{ itemId: string; score: number; cluster: number }> = [];
  for (let c = 0; c < centers.length; c++) {
    for (let i = 0; i < 10; i++) {
      const v = Float32Array.from(centers[c]!);
      addScaled(v, normalize(Float32Array.from({ length: DIM }, () => random() - 0.5)), 0.3);
      const itemId = `c${c}-${i}`;
      vectors.set(itemId, normalized(v));
      ranked.push({ itemId, score: 1 - 0.01 * (c * 10 + i), cluster: c });
    }
  }
  return { ranked, vectorOf: (id: string) => vectors.get(id) };
}

describe('diversify (maximal marginal relevance)', () => {
  it('keeps the ranking at diversity 0 and the top item at any diversity', () => {
    const { ranked, vectorOf } = clusteredPool();
    expect(diversify(ranked, 10, 0, vectorOf)).toEqual(ranked.slice(0, 10));
    for (const d of [0.1, 0.2, 0.5, 0.9, 1]) {
      const list = diversify(ranked, 10, d, vectorOf);
      expect(list).toHaveLength(10);
      expect(list[0]).toBe(ranked[0]);
      expect(new Set(list.map((item) => item.itemId)).size).toBe(10);
    }
    expect(diversify(ranked, 100, 0.5, vectorOf)).toHaveLength(ranked.length);
    expect(diversify([], 5, 0.5, vectorOf)).toEqual([]);
  });

  it('lowers the mean pairwise similarity of a list drawn from clusters, more with more diversity', () => {
    const { ranked, vectorOf } = clusteredPool();
    const ids = (d: number) => diversify(ranked, 10, d, vectorOf).map((item) => item.itemId);
    const clusters = (d: number) => new Set(diversify(ranked, 10, d, vectorOf).map((item) => item.cluster)).size;
    const mean = (d: number) => meanPairwiseSimilarity(ids(d), vectorOf);
    // Diversity 0: the ten best are all of cluster 0.
    expect(clusters(0)).toBe(1);
    expect(mean(0)).toBeGreaterThan(0.8);
    expect(mean(0.5)).toBeLessThan(mean(0) - 0.3);
    expect(clusters(0.5)).toBeGreaterThanOrEqual(4);
    expect(mean(1)).toBeLessThanOrEqual(mean(0.5) + 1e-9);
    // Relevance still counts: at 0.5 the clusters come in ranking order.
    const firstOfEach = diversify(ranked, 10, 0.5, vectorOf).map((item) => item.cluster).filter((c, i, all) => all.indexOf(c) === i);
    expect(firstOfEach).toEqual([...firstOfEach].sort((a, b) => a - b));
  });

  it('treats an item without a vector as like nothing, and keeps items their own scores', () => {
    const { ranked, vectorOf } = clusteredPool();
    const lost = { itemId: 'no-vector', score: 0.5, cluster: -1 };
    const list = diversify([...ranked.slice(0, 5), lost], 3, 0.5, vectorOf);
    expect(list.map((item) => item.itemId)).toContain('no-vector');
    expect(list.find((item) => item.itemId === 'no-vector')!.score).toBe(0.5);
  });

  it('refuses diversity outside [0, 1]', () => {
    expect(checkDiversity(0.2)).toBe(0.2);
    expect(() => checkDiversity(-0.1)).toThrow(RangeError);
    expect(() => checkDiversity(1.01)).toThrow(RangeError);
    expect(() => checkDiversity(Number.NaN)).toThrow(RangeError);
  });
});

describe('meanPairwiseSimilarity', () => {
  it('averages the cosines of every pair of items with a vector', () => {
    const a = normalized(Float32Array.from([1, 0, 0]));
    const b = normalized(Float32Array.from([1, 1, 0]));
    const c = normalized(Float32Array.from([0, 0, 1]));
    const vectors: Record<string, Float32Array> = { a, b, c };
    const of = (id: string) => vectors[id];
    expect(meanPairwiseSimilarity(['a', 'b', 'c', 'missing'], of)).toBeCloseTo((dot(a, b) + dot(a, c) + dot(b, c)) / 3, 6);
    expect(meanPairwiseSimilarity(['a'], of)).toBe(0);
  });
});
