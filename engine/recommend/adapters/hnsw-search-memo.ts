import type { Neighbour } from '../vector-index.js';
import { TopK } from './top-k.js';
import type { VectorSlab } from './vector-slab.js';

/** Added to a memo's bound (fromMemo) for float rounding of the stored vectors and queries. */
export const MEMO_SLACK = 1e-6;

/**
 * What a graph walk leaves for the next search of a nearby query (a shopper's next list): the
 * query, the walk's labels and the lowest similarity among them. Valid only for the index that
 * made it, at the generation it was made (any upsert or remove since makes it stale).
 */
export class SearchMemo {
  constructor(
    /** The index that made it (an HnswVectorIndex). */
    readonly owner: object,
    readonly generation: number,
    readonly query: Float32Array,
    readonly labels: Int32Array,
    readonly floor: number,
    /** How far the walk's wanted-th best passing item was above `floor`: a query that moved further than this rarely passes the proof (fromMemo skips it). */
    readonly headroom: number,
  ) {}
}

/** Scratch of memoAnswer (searches are synchronous): the labels at or above the bound and their similarities. */
let aboveLabels = new Int32Array(0);
let aboveSimilarities = new Float64Array(0);

/**
 * HnswVectorIndex.fromMemo once the memo is known current: the `wanted` best passing labels of
 * the memo measured against `unit`, when the wanted-th best is at least the bound (`floor` plus
 * the distance the query moved, see fromMemo); undefined otherwise. `passing`: the search's set
 * filter by slot (AllowedSlots), else `filter` is called per id.
 *
 * The wanted-th best passing similarity is at least the bound exactly when at least `wanted`
 * passing labels are, and then the best `wanted` are among those: so the labels are counted first
 * (a failed proof, most of them, ~85%, offers nothing and stops as soon as too few labels are left
 * to reach `wanted`), and only the ones at or above the bound are offered. The same answer as
 * offering every passing label and checking the wanted-th; cost: one dot product per passing label
 * read (~80 x 64 dimensions).
 */
export function memoAnswer(
  memo: SearchMemo,
  slab: VectorSlab,
  unit: Float32Array,
  wanted: number,
  passing: Uint8Array | undefined,
  filter: ((id: string) => boolean) | undefined,
): Neighbour[] | undefined {
  if (memo.query.length !== unit.length) return undefined;
  let moved = 0;
  for (let i = 0; i < unit.length; i++) moved += unit[i]! * memo.query[i]!;
  const distance = Math.sqrt(Math.max(0, 2 - 2 * moved));
  // A float32 query rounding margin: the bound must hold on the stored (float32) vectors.
  const bound = memo.floor + distance + MEMO_SLACK;
  // A cheap skip (recommend micro-benchmark): under 1% of the proofs that held had a query that
  // moved over twice the walk's headroom, about a third of those that failed had.
  if (bound >= 1 || distance > 2 * memo.headroom) return undefined;
  const labels = memo.labels;
  const n = labels.length;
  if (aboveLabels.length < n) {
    aboveLabels = new Int32Array(Math.max(n, 2 * aboveLabels.length));
    aboveSimilarities = new Float64Array(aboveLabels.length);
  }
  let above = 0;
  for (let i = 0; i < n; i++) {
    if (above + (n - i) < wanted) return undefined;
    const label = labels[i]!;
    const id = slab.idAt(label);
    if (id === undefined || (passing !== undefined ? passing[label] !== 1 : filter !== undefined && !filter(id))) continue;
    const similarity = slab.similarity(label, unit);
    if (similarity >= bound) {
      aboveLabels[above] = label;
      aboveSimilarities[above++] = similarity;
    }
  }
  if (above < wanted) return undefined;
  const top = new TopK(wanted);
  for (let j = 0; j < above; j++) top.offer(slab.idAt(aboveLabels[j]!)!, aboveSimilarities[j]!);
  return top.drain();
}
