import { describe, expect, it } from 'vitest';
import {
  checkDiversity,
  diversify,
  meanPairwiseSimilarity,
  pairSimilarityOf,
  type PairSimilarity,
} from '../../engine/recommend/logic/diversity.js';
import { addScaled, dot, normalize, normalized } from '../../engine/recommend/logic/vector-math.js';
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
  const vectorOf = (id: string) => vectors.get(id);
  return { ranked, vectorOf, similarityOf: pairSimilarityOf(vectorOf) };
}

describe('diversify (maximal marginal relevance)', () => {
  it('keeps the ranking at diversity 0 and the top item at any diversity', () => {
    const { ranked, similarityOf } = clusteredPool();
    expect(diversify(ranked, 10, 0, similarityOf)).toEqual(ranked.slice(0, 10));
    for (const d of [0.1, 0.2, 0.5, 0.9, 1]) {
      const list = diversify(ranked, 10, d, similarityOf);
      expect(list).toHaveLength(10);
      expect(list[0]).toBe(ranked[0]);
      expect(new Set(list.map((item) => item.itemId)).size).toBe(10);
    }
    expect(diversify(ranked, 100, 0.5, similarityOf)).toHaveLength(ranked.length);
    expect(diversify([], 5, 0.5, similarityOf)).toEqual([]);
  });

  it('lowers the mean pairwise similarity of a list drawn from clusters, more with more diversity', () => {
    const { ranked, vectorOf, similarityOf } = clusteredPool();
    const ids = (d: number) => diversify(ranked, 10, d, similarityOf).map((item) => item.itemId);
    const clusters = (d: number) => new Set(diversify(ranked, 10, d, similarityOf).map((item) => item.cluster)).size;
    const mean = (d: number) => meanPairwiseSimilarity(ids(d), vectorOf);
    // Diversity 0: the ten best are all of cluster 0.
    expect(clusters(0)).toBe(1);
    expect(mean(0)).toBeGreaterThan(0.8);
    expect(mean(0.5)).toBeLessThan(mean(0) - 0.3);
    expect(clusters(0.5)).toBeGreaterThanOrEqual(4);
    expect(mean(1)).toBeLessThanOrEqual(mean(0.5) + 1e-9);
    // Relevance still counts: at 0.5 the clusters come in ranking order.
    const firstOfEach = diversify(ranked, 10, 0.5, similarityOf)
      .map((item) => item.cluster)
      .filter((c, i, all) => all.indexOf(c) === i);
    expect(firstOfEach).toEqual([...firstOfEach].sort((a, b) => a - b));
  });

  it('treats an item without a vector as like nothing, and keeps items their own scores', () => {
    const { ranked, similarityOf } = clusteredPool();
    const lost = { itemId: 'no-vector', score: 0.5, cluster: -1 };
    const list = diversify([...ranked.slice(0, 5), lost], 3, 0.5, similarityOf);
    expect(list.map((item) => item.itemId)).toContain('no-vector');
    expect(list.find((item) => item.itemId === 'no-vector')!.score).toBe(0.5);
  });

  it('picks exactly what the eager MMR loop picks, with far fewer similarities', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = mulberry32(seed);
      const { ranked, vectorOf: base } = clusteredPool(seed);
      // A twin has its original's vector (and score): exact ties of value, which go to the better-ranked.
      const vectorOf = (id: string) => base(id.replace(/-twin$/, ''));
      // Shuffled, coarse scores (ties), twins and some items without a vector.
      const pool = ranked
        .map((item) => ({ ...item, score: Math.round(random() * 20) / 20 }))
        .flatMap((item, i) => (i % 4 === 0 ? [item, { ...item, itemId: `${item.itemId}-twin` }] : [item]))
        .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1))
        .map((item, i) => (i % 7 === 3 ? { ...item, itemId: `${item.itemId}-gone` } : item));
      for (const d of [0.05, 0.2, 0.5, 0.9, 1]) {
        let calls = 0;
        const counted: PairSimilarity = (a, b) => {
          calls++;
          return pairSimilarityOf(vectorOf)(a, b);
        };
        const k = 1 + (seed % 15);
        expect(diversify(pool, k, d, counted)).toEqual(eagerMmr(pool, k, d, vectorOf));
        expect(calls).toBeLessThanOrEqual(k * pool.length);
      }
    }
    // A mostly-relevance list measures few pairs: 10 of a pool of 60 at d 0.2.
    const { ranked, vectorOf } = clusteredPool();
    let calls = 0;
    diversify(ranked, 10, 0.2, (a, b) => (calls++, pairSimilarityOf(vectorOf)(a, b)));
    expect(calls).toBeLessThan((10 * ranked.length) / 4);
  });

  it('refuses diversity outside [0, 1]', () => {
    expect(checkDiversity(0.2)).toBe(0.2);
    expect(() => checkDiversity(-0.1)).toThrow(RangeError);
    expect(() => checkDiversity(1.01)).toThrow(RangeError);
    expect(() => checkDiversity(Number.NaN)).toThrow(RangeError);
  });
});

/** The eager MMR loop diversify replaced (every pool item measured against every pick): the reference. */
function eagerMmr<T extends { itemId: string; score: number }>(
  ranked: readonly T[],
  k: number,
  d: number,
  vectorOf: (id: string) => Float32Array | undefined,
): T[] {
  const n = Math.min(Math.max(0, k), ranked.length);
  if (d <= 0 || n <= 1) return ranked.slice(0, n);
  const best = ranked.reduce((max, item) => Math.max(max, item.score), 0);
  const relevance = ranked.map((item) => (best > 0 && Number.isFinite(item.score) ? Math.max(0, item.score) / best : 0));
  const vectors = ranked.map((item) => vectorOf(item.itemId));
  const redundancy = new Float64Array(ranked.length);
  const taken = new Uint8Array(ranked.length);
  const out: T[] = [];
  while (out.length < n) {
    let pick = -1;
    let pickValue = -Infinity;
    for (let i = 0; i < ranked.length; i++) {
      const value = (1 - d) * relevance[i]! - d * redundancy[i]!;
      if (!taken[i] && value > pickValue) [pick, pickValue] = [i, value];
    }
    taken[pick] = 1;
    out.push(ranked[pick]!);
    const picked = vectors[pick];
    for (let i = 0; picked && i < ranked.length; i++) {
      const vector = vectors[i];
      if (!taken[i] && vector) redundancy[i] = Math.max(redundancy[i]!, Math.min(1, Math.max(0, dot(vector, picked))));
    }
  }
  return out;
}

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
