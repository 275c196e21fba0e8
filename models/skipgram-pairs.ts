import type { IndexedSequences } from './sequences.js';

/** Skip-gram training pairs: subsampling, per-epoch (center, context) pairs, negative sampling. */

/** Word2vec subsampling: a position of row r is kept with probability min(1, (sqrt(f/t) + 1) t/f). */
export function keepProbabilities(counts: Float64Array, t: number): Float64Array {
  const keep = new Float64Array(counts.length).fill(1);
  if (t <= 0) return keep;
  let total = 0;
  for (const count of counts) total += count;
  for (let row = 0; row < counts.length; row++) {
    const f = counts[row]! / total;
    if (f > 0) keep[row] = Math.min(1, (Math.sqrt(f / t) + 1) * (t / f));
  }
  return keep;
}

export interface Pairs {
  centers: Int32Array;
  contexts: Int32Array;
  count: number;
}

/**
 * One epoch's (center, context) pairs in random order: per sequence, baskets shuffled internally,
 * frequent items subsampled, then every center pairs with the positions within a window drawn
 * from 1..window (nearer contexts count more on average, as in word2vec).
 */
export function epochPairs(data: IndexedSequences, window: number, keep: Float64Array, random: () => number): Pairs {
  let centers: Int32Array = new Int32Array(Math.max(1024, data.positions * window));
  let contexts: Int32Array = new Int32Array(centers.length);
  let count = 0;
  const kept: number[] = [];
  for (const { rows, groupStarts } of data.sequences) {
    const order = Int32Array.from(rows);
    for (let g = 0; g < groupStarts.length; g++) {
      const from = groupStarts[g]!;
      const to = g + 1 < groupStarts.length ? groupStarts[g + 1]! : order.length;
      for (let i = to - 1; i > from; i--) {
        const j = from + Math.floor(random() * (i - from + 1));
        const swap = order[i]!;
        order[i] = order[j]!;
        order[j] = swap;
      }
    }
    kept.length = 0;
    for (const row of order) if (keep[row]! >= 1 || random() < keep[row]!) kept.push(row);
    for (let i = 0; i < kept.length; i++) {
      const reach = 1 + Math.floor(random() * window);
      const lo = Math.max(0, i - reach);
      const hi = Math.min(kept.length - 1, i + reach);
      for (let j = lo; j <= hi; j++) {
        if (j === i || kept[j] === kept[i]) continue;
        if (count === centers.length) {
          centers = grow(centers);
          contexts = grow(contexts);
        }
        centers[count] = kept[i]!;
        contexts[count] = kept[j]!;
        count++;
      }
    }
  }
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const c = centers[i]!;
    centers[i] = centers[j]!;
    centers[j] = c;
    const x = contexts[i]!;
    contexts[i] = contexts[j]!;
    contexts[j] = x;
  }
  return { centers, contexts, count };
}

export function grow(array: Int32Array): Int32Array {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/**
 * Walker's alias method: O(1) draws from a discrete distribution (here unigram^0.75).
 * Exported for tests.
 */
export class AliasTable {
  private readonly probability: Float64Array;
  private readonly alias: Int32Array;

  constructor(weights: Float64Array) {
    const n = weights.length;
    if (n === 0) throw new RangeError('alias table needs at least one weight');
    let total = 0;
    for (const w of weights) {
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`alias weights must be finite and >= 0, got ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new RangeError('alias weights sum to zero');
    this.probability = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = Float64Array.from(weights, (w) => (w * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.probability[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) {
      this.probability[i] = 1;
      this.alias[i] = i;
    }
  }

  draw(random: () => number): number {
    const i = Math.floor(random() * this.probability.length);
    return random() < this.probability[i]! ? i : this.alias[i]!;
  }
}
