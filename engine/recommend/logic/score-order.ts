/**
 * Picking and ordering the best of a list's scored items (ranking.ts's scoreCandidates): the
 * keep-th best score, so only what is kept is sorted, and the sort itself. Pure.
 */

/**
 * The `keep`-th highest of `scores` (keep in [1, scores.length]); +Infinity for keep 0. Lets a
 * ranking sort only what it keeps (scoreCandidates in ranking.ts). Cost: O(n log keep); the
 * heap's storage is reused across calls (allocating a typed array costs more than the scan).
 */
export function keepthBest(scores: ArrayLike<number>, keep: number): number {
  if (keep === 0) return Infinity;
  // A min-heap of the best `keep` scores seen: its root is the keep-th best.
  if (heapStorage.length < keep) heapStorage = new Float64Array(Math.max(keep, 2 * heapStorage.length));
  // Only [0, size) is read, all written by this call (no callback runs here: nothing else uses it meanwhile).
  const heap = heapStorage;
  let size = 0;
  for (let n = 0; n < scores.length; n++) size = offerToHeap(heap, size, keep, scores[n]!);
  // No score at all (keep > scores.length, outside the contract): 0, as a fresh heap held.
  return size === 0 ? 0 : heap[0]!;
}

/** The heap of keepthBest, grown as needed. */
let heapStorage = new Float64Array(64);

/** Lists up to this long are sorted by insertion, inline; longer ones by Array.sort. */
const INSERTION_SORT_MAX = 64;

/**
 * Sorts best first, ties by itemId ascending. A short list (a list's keep, ~10-30) is sorted by
 * insertion with the comparison inline: Array.sort's call into the comparator per comparison is
 * most of its cost there. Both sorts are stable, so the order is the same either way.
 */
export function sortScored<T extends { itemId: string; score: number }>(list: T[]): void {
  if (list.length > INSERTION_SORT_MAX) {
    list.sort(byScoreThenId);
    return;
  }
  for (let i = 1; i < list.length; i++) {
    const item = list[i]!;
    let j = i - 1;
    for (; j >= 0; j--) {
      const other = list[j]!;
      if (!(item.score > other.score || (item.score === other.score && item.itemId < other.itemId))) break;
      list[j + 1] = other;
    }
    list[j + 1] = item;
  }
}

function byScoreThenId(a: { itemId: string; score: number }, b: { itemId: string; score: number }): number {
  if (b.score !== a.score) return b.score - a.score;
  return a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0;
}

/**
 * The best `keep` scores offered so far, in a min-heap: `min` is the keep-th best, what a score
 * must reach to be kept (ranking.ts scoreCandidates raises it while boosting, so fewer are boosted).
 */
export class BestScores {
  private readonly heap: Float64Array;
  private size = 0;

  constructor(private readonly keep: number) {
    this.heap = new Float64Array(keep);
  }

  /** The keep-th best score offered; +Infinity for keep 0, -Infinity while fewer were offered. */
  get min(): number {
    if (this.keep === 0) return Infinity;
    return this.size < this.keep ? -Infinity : this.heap[0]!;
  }

  offer(score: number): void {
    if (this.keep > 0) this.size = offerToHeap(this.heap, this.size, this.keep, score);
  }
}

/**
 * Offers `score` to a min-heap of the best `keep` scores in `heap[0, size)` (keep >= 1): added
 * while it holds fewer, else it replaces the root when higher. Returns the heap's new size.
 */
function offerToHeap(heap: Float64Array, size: number, keep: number, score: number): number {
  if (size < keep) {
    let i = size;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= score) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = score;
    return size + 1;
  }
  if (score > heap[0]!) {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= keep) break;
      const right = left + 1;
      const child = right < keep && heap[right]! < heap[left]! ? right : left;
      if (heap[child]! >= score) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = score;
  }
  return size;
}
