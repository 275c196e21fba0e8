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
 * Cost: O(k x pool) cosines at most (see diversify: most are skipped).
 */

/** Default diversity (engine config DIVERSITY): MMR lambda 0.8, mostly relevance. */
export const DEFAULT_DIVERSITY = 0.2;

export function checkDiversity(diversity: number): number {
  if (!(diversity >= 0 && diversity <= 1)) throw new RangeError(`diversity must be in [0, 1], got ${diversity}`);
  return diversity;
}

/** Cosine of two items' unit vectors; undefined when either has none (it is then like nothing). */
export type PairSimilarity = (a: string, b: string) => number | undefined;

/**
 * The first `k` items of `ranked` re-ordered by MMR with diversity `d`.
 *
 * Lazy: an item's redundancy is brought up to date with the items taken since it was last
 * measured only when it could still be the pick. Redundancy only grows as items are taken, so an
 * item's value as last computed bounds its current one from above; an item whose bound does not
 * beat the best current value so far (ties go to the better-ranked, met earlier) cannot be the
 * pick, exactly as in the eager loop, and is skipped unmeasured; an item being measured stops
 * as soon as its value no longer beats it (the rest of the picks wait for a later step). With a
 * small `d` most of the pool is never compared with most picks. Cost: at most O(k x pool)
 * similarities, usually far fewer (`npx tsx scripts/bench/recommend-micro.ts --items 3000`, pool
 * 30, k 10, d 0.2: ~89 per list; ~152 when each item was brought fully up to date at once).
 * @param similarityOf cosine of two items (the serving index's `pairSimilarity`: read in place).
 */
export function diversify<T extends { itemId: string; score: number }>(
  ranked: readonly T[],
  k: number,
  d: number,
  similarityOf: PairSimilarity,
): T[] {
  const n = Math.min(Math.max(0, k), ranked.length);
  if (d <= 0 || n <= 1) return ranked.slice(0, n);
  const size = ranked.length;
  let best = 0;
  for (let i = 0; i < size; i++) best = Math.max(best, ranked[i]!.score);
  // Plain arrays: typed ones cost more to allocate than a pool of ~30 costs to scan.
  const relevance: number[] = [];
  /** Highest similarity of each pool item to the first `measured[i]` items taken. */
  const redundancy: number[] = [];
  const measured: number[] = [];
  const taken: boolean[] = [];
  for (let i = 0; i < size; i++) {
    const score = ranked[i]!.score;
    relevance.push(best > 0 && Number.isFinite(score) ? Math.max(0, score) / best : 0);
    redundancy.push(0);
    measured.push(0);
    taken.push(false);
  }
  /** Pool positions of the items taken, in order. */
  const picks: number[] = [];
  const out: T[] = [];
  while (out.length < n) {
    let pick = -1;
    let pickValue = -Infinity;
    for (let i = 0; i < size; i++) {
      if (taken[i]) continue;
      // An upper bound of the current value until the item is measured against every pick.
      let value = (1 - d) * relevance[i]! - d * redundancy[i]!;
      if (!(value > pickValue)) continue;
      // Brought up to date one pick at a time, and only while it can still beat the best so far:
      // each pick can only lower the value, so once it does not beat it the rest wait (a later
      // step goes on from there).
      const itemId = ranked[i]!.itemId;
      while (measured[i]! < picks.length && value > pickValue) {
        const raw = similarityOf(itemId, ranked[picks[measured[i]!]!]!.itemId);
        measured[i]!++;
        if (raw === undefined) continue;
        const similarity = Math.min(1, Math.max(0, raw));
        if (similarity > redundancy[i]!) {
          redundancy[i] = similarity;
          value = (1 - d) * relevance[i]! - d * similarity;
        }
      }
      if (measured[i]! < picks.length) continue;
      if (value > pickValue) {
        pickValue = value;
        pick = i;
      }
    }
    taken[pick] = true;
    picks.push(pick);
    out.push(ranked[pick]!);
  }
  return out;
}

/** A PairSimilarity over vectors looked up one by one (tests, tools; the engine reads its index in place). */
export function pairSimilarityOf(vectorOf: (itemId: string) => Float32Array | undefined): PairSimilarity {
  return (a, b) => {
    const va = vectorOf(a);
    const vb = va && vectorOf(b);
    return va && vb ? dot(va, vb) : undefined;
  };
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
