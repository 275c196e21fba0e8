import { dot } from './vector-math.js';

/**
 * Diversity re-rank by maximal marginal relevance (Carbonell and Goldstein, 1998). Pure.
 *
 * From a ranked pool (best first), the list is built one item at a time; each step takes the
 * item of the highest
 *
 *   value(i) = (1 - d) * rel(i) - d * max over items already taken j of sim(i, j)
 *
 * where rel = score / best score of the pool (so both terms are in [0, 1]), sim = the cosine of
 * the two items' unit vectors clamped to [0, 1] (an item without a vector is like nothing), and
 * d the diversity in [0, 1]: 0 keeps the ranking as it is, 1 only avoids look-alikes. MMR's
 * lambda is 1 - d. The first item is always the pool's best (nothing is taken yet); ties go to
 * the better-ranked item. Items keep their own scores: the list's order is the MMR order.
 * Cost: O(k x pool) cosines.
 */

/** Default diversity (engine config DIVERSITY): MMR lambda 0.8, mostly relevance. */
export const DEFAULT_DIVERSITY = 0.2;

export function checkDiversity(diversity: number): number {
  if (!(diversity >= 0 && diversity <= 1)) throw new RangeError(`diversity must be in [0, 1], got ${diversity}`);
  return diversity;
}

/**
 * The first `k` items of `ranked` re-ordered by MMR with diversity `d`.
 * @param vectorOf unit vector of an item (the serving index), undefined when it has none.
 */
export function diversify<T extends { itemId: string; score: number }>(ranked: readonly T[], k: number, d: number, vectorOf: (itemId: string) => Float32Array | undefined): T[] {
  const n = Math.min(Math.max(0, k), ranked.length);
  if (d <= 0 || n <= 1) return ranked.slice(0, n);
  const best = ranked.reduce((max, item) => Math.max(max, item.score), 0);
  const relevance = ranked.map((item) => (best > 0 && Number.isFinite(item.score) ? Math.max(0, item.score) / best : 0));
  const vectors = ranked.map((item) => vectorOf(item.itemId));
  /** Highest similarity of each pool item to the items taken so far. */
  const redundancy = new Float64Array(ranked.length);
  const taken = new Uint8Array(ranked.length);
  const out: T[] = [];
  while (out.length < n) {
    let pick = -1;
    let pickValue = -Infinity;
    for (let i = 0; i < ranked.length; i++) {
      if (taken[i]) continue;
      const value = (1 - d) * relevance[i]! - d * redundancy[i]!;
      if (value > pickValue) {
        pickValue = value;
        pick = i;
      }
    }
    taken[pick] = 1;
    out.push(ranked[pick]!);
    const picked = vectors[pick];
    if (!picked) continue;
    for (let i = 0; i < ranked.length; i++) {
      const vector = vectors[i];
      if (taken[i] || !vector) continue;
      const similarity = Math.min(1, Math.max(0, dot(vector, picked)));
      if (similarity > redundancy[i]!) redundancy[i] = similarity;
    }
  }
  return out;
}

/** Mean cosine over all pairs of the items that have a vector (0 with fewer than two). */
export function meanPairwiseSimilarity(itemIds: readonly string[], vectorOf: (itemId: string) => Float32Array | undefined): number {
  const vectors = itemIds.map(vectorOf).filter((vector): vector is Float32Array => vector !== undefined);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < vectors.length; i++) {
    for (let j = i + 1; j < vectors.length; j++) {
      sum += dot(vectors[i]!, vectors[j]!);
      pairs++;
    }
  }
  return pairs === 0 ? 0 : sum / pairs;
}
