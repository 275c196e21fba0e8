import type { IdRanks } from './id-ranks.js';
import { keepthBest } from './score-order.js';

/**
 * Reading a scored list best first without sorting more of it than is read (pure). Used where a
 * list of a few hundred scored items is cut to its best `limit` and then only its first `take`
 * items that pass a list's filter are kept ("sessions like yours"): the filter usually stops
 * after ~50 of them, and votes tie often (every item of one neighbour session gets the same),
 * so the scores are grouped by a native sort and only the ties that are read are sorted by id.
 */

/** Items sorted per round beyond the passing ones still wanted (a few fail the filter). */
const ROUND_SLACK = 16;
/** Ties of one score up to this many are sorted by insertion, inline (Array.sort's comparator calls cost more there). */
const INSERTION_SORT_MAX = 32;
/** strongestFirst sorts up to this many by insertion (scores only, no ids to compare). */
const STRONGEST_INSERTION_MAX = 128;

/**
 * The first `take` items passing `filter` (all when undefined) among the best `limit` of the
 * entries i < count, entry i being item `names[keys[i]]` scored `scores[i]`, best first, equal
 * scores by item id ascending: exactly `sorted.slice(0, limit).filter(passing).slice(0, take)`,
 * but each round orders only the best few of what is left (found with keepthBest), so a list
 * read to its 50th item orders ~70 of ~230. Scores must be finite; item ids distinct. Nothing is changed.
 * Cost: O(count log round) + the ties of one score read sorted by id: by `ranks` (names' order as
 * integers, id-ranks.ts) when given and all of them are ranked, else by their strings (natively
 * above 32); no typed array is allocated (module scratch, reused unless `filter` calls back in here).
 */
export function firstPassingBest(
  names: readonly string[],
  keys: ArrayLike<number>,
  scores: Float64Array,
  count: number,
  limit: number,
  take: number,
  filter?: (id: string) => boolean,
  ranks?: IdRanks,
): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  if (count <= 0 || limit <= 0 || take <= 0) return out;
  const scratch = depth === 0 ? shared : new Scratch();
  depth++;
  try {
    readBest(scratch, names, keys, scores, count, limit, take, filter, ranks, out);
  } finally {
    depth--;
  }
  return out;
}

/** firstPassingBest's work, into `out` (count, limit and take >= 1). */
function readBest(
  scratch: Scratch,
  names: readonly string[],
  keys: ArrayLike<number>,
  scores: Float64Array,
  count: number,
  limit: number,
  take: number,
  filter: ((id: string) => boolean) | undefined,
  ranks: IdRanks | undefined,
  out: Array<[string, number]>,
): void {
  // Entries [lo, count) of `order` are not read yet; each round moves the best of them (by
  // score, at least `round` of them) to [lo, hi), sorts that and reads it.
  scratch.fit(count);
  const { order, values } = scratch;
  for (let i = 0; i < count; i++) order[i] = i;
  let lo = 0;
  let read = 0;
  while (lo < count) {
    const wanted = take - out.length;
    const round = Math.min(limit - read, filter === undefined ? wanted : wanted + ROUND_SLACK);
    let hi = count;
    if (count - lo > round) {
      for (let i = lo; i < count; i++) values[i - lo] = scores[order[i]!]!;
      const threshold = keepthBest(values.subarray(0, count - lo), round);
      hi = lo;
      for (let i = lo; i < count; i++) {
        const entry = order[i]!;
        if (scores[entry]! >= threshold) {
          order[i] = order[hi]!;
          order[hi++] = entry;
        }
      }
    }
    // [lo, hi) best first: grouped by score (a native sort of the scores, no comparator calls:
    // votes tie often), each group's ids sorted only once it is reached.
    const levels = scoreLevels(scratch, scores, lo, hi);
    groupByLevel(scratch, scores, lo, hi, levels);
    const { entries, ends, ids } = scratch;
    let start = 0;
    for (let level = 0; level < levels; level++) {
      const end = ends[level]!;
      // One score: the group's scores are that score (but for the sign of a zero: then by entry).
      const score = scratch.levels[level]!;
      if (score === 0) sortZeros(entries, start, end, names, keys);
      if (score === 0 || !ranks || !byRank(scratch, ranks, names, keys, start, end)) {
        ids.length = end - start;
        for (let i = start; i < end; i++) ids[i - start] = names[keys[entries[i]!]!]!;
        if (score !== 0) sortIds(ids);
      }
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        read++;
        if (filter === undefined || filter(id)) out.push([id, score === 0 ? scores[entries[start + i]!]! : score]);
        if (read >= limit || out.length >= take) return;
      }
      start = end;
    }
    lo = hi;
  }
}

/** Typed scratch of firstPassingBest, grown as needed (one shared; a fresh one when `filter` re-enters). */
class Scratch {
  order = new Int32Array(256);
  values = new Float64Array(256);
  sorted = new Float64Array(256);
  levels = new Float64Array(256);
  ranks = new Int32Array(256);
  ends = new Int32Array(256);
  entries = new Int32Array(256);
  /** The ranks of one score's entries. */
  ranked = new Int32Array(256);
  /** The ids of one score's entries. */
  readonly ids: string[] = [];

  fit(count: number): void {
    if (this.order.length >= count) return;
    const size = Math.max(count, 2 * this.order.length);
    this.order = new Int32Array(size);
    this.values = new Float64Array(size);
    this.sorted = new Float64Array(size);
    this.levels = new Float64Array(size);
    this.ranks = new Int32Array(size);
    this.ends = new Int32Array(size);
    this.entries = new Int32Array(size);
    this.ranked = new Int32Array(size);
  }
}

const shared = new Scratch();
/** firstPassingBest calls under way (a filter calling back in gets scratch of its own). */
let depth = 0;

/**
 * Positions of the `keep` highest of `similarity` (ties: the lower position), highest first,
 * ties by position: a sort by (similarity desc, position asc) cut to `keep`, sorting only those kept.
 */
export function strongestFirst(similarity: readonly number[], keep: number): number[] {
  const order = new Int32Array(Math.max(0, Math.min(similarity.length, keep)));
  const length = strongestOrder(Float64Array.from(similarity), similarity.length, keep, order);
  return Array.from(order.subarray(0, length));
}

/**
 * strongestFirst of similarity[0, count) into order[0, returned length) (room for min(count, keep)):
 * the same positions in the same order, without allocating.
 */
export function strongestOrder(similarity: Float64Array, count: number, keep: number, order: Int32Array): number {
  let length = 0;
  if (count > keep) {
    const threshold = keepthBest(similarity.subarray(0, count), keep);
    let above = 0;
    for (let i = 0; i < count; i++) if (similarity[i]! > threshold) above++;
    let atThreshold = keep - above;
    for (let i = 0; i < count; i++) {
      const value = similarity[i]!;
      if (value > threshold || (value === threshold && atThreshold-- > 0)) order[length++] = i;
    }
  } else for (; length < count; length++) order[length] = length;
  if (length > STRONGEST_INSERTION_MAX) {
    const sorted = Array.from(order.subarray(0, length)).sort((a, b) => similarity[b]! - similarity[a]! || a - b);
    order.set(sorted);
  } else
    for (let i = 1; i < length; i++) {
      const entry = order[i]!;
      const value = similarity[entry]!;
      let j = i - 1;
      // Positions are in ascending order before the sort: a tie never moves past an earlier one.
      for (; j >= 0 && value > similarity[order[j]!]!; j--) order[j + 1] = order[j]!;
      order[j + 1] = entry;
    }
  return length;
}

/** The first `take` entries of a list (best first) passing `filter` (all when undefined), in order. */
export function firstPassingOf(
  list: ReadonlyArray<[string, number]>,
  take: number,
  filter?: (itemId: string) => boolean,
): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const entry of list) {
    if (out.length >= take) break;
    if (filter === undefined || filter(entry[0])) out.push(entry);
  }
  return out;
}

/** The distinct scores of order[lo, hi), highest first, into scratch.levels; returns how many. */
function scoreLevels(scratch: Scratch, scores: Float64Array, lo: number, hi: number): number {
  const { order, levels } = scratch;
  const sorted = scratch.sorted.subarray(0, hi - lo);
  for (let i = lo; i < hi; i++) sorted[i - lo] = scores[order[i]!]!;
  sorted.sort();
  let distinct = 0;
  for (let i = sorted.length - 1; i >= 0; i--) if (distinct === 0 || sorted[i] !== levels[distinct - 1]) levels[distinct++] = sorted[i]!;
  return distinct;
}

/**
 * The entries of order[lo, hi) grouped by level (counting sort), into scratch: level l's are
 * entries[ends[l - 1] (0 for l = 0), ends[l]).
 */
function groupByLevel(scratch: Scratch, scores: Float64Array, lo: number, hi: number, count: number): void {
  const { order, levels, ranks, ends, entries } = scratch;
  ends.fill(0, 0, count);
  for (let i = lo; i < hi; i++) {
    const score = scores[order[i]!]!;
    // Binary search in the descending levels: the score is one of them.
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (levels[middle]! > score) low = middle + 1;
      else high = middle;
    }
    ranks[i - lo] = low;
    ends[low]!++;
  }
  for (let level = 1; level < count; level++) ends[level]! += ends[level - 1]!;
  // Filled from the back, so each level keeps the entries' order (not needed: each is sorted by id).
  for (let i = hi - 1; i >= lo; i--) entries[--ends[ranks[i - lo]!]!] = order[i]!;
  for (let level = 0; level < count; level++) ends[level] = level + 1 < count ? ends[level + 1]! : hi - lo;
}

/**
 * The ids of entries[start, end) (one score) into scratch.ids sorted by `ranks`; false (nothing
 * done) when one of their keys has no rank yet.
 */
function byRank(scratch: Scratch, ranks: IdRanks, names: readonly string[], keys: ArrayLike<number>, start: number, end: number): boolean {
  const { entries, ids } = scratch;
  const { rank, ranked } = ranks;
  const length = end - start;
  const sorted = scratch.ranked;
  for (let i = 0; i < length; i++) {
    const key = keys[entries[start + i]!]!;
    if (key >= ranked) return false;
    sorted[i] = rank[key]!;
  }
  if (length > INSERTION_SORT_MAX) sorted.subarray(0, length).sort();
  else
    for (let i = 1; i < length; i++) {
      const value = sorted[i]!;
      let j = i - 1;
      for (; j >= 0 && value < sorted[j]!; j--) sorted[j + 1] = sorted[j]!;
      sorted[j + 1] = value;
    }
  ids.length = length;
  for (let i = 0; i < length; i++) ids[i] = names[ranks.slotAt(sorted[i]!)]!;
  return true;
}

/**
 * Sorts the ids of one score ascending (code unit order, as `<`): by insertion up to
 * INSERTION_SORT_MAX, else by Array.sort without a comparator (compared natively, no calls back).
 */
function sortIds(ids: string[]): void {
  if (ids.length > INSERTION_SORT_MAX) {
    ids.sort();
    return;
  }
  for (let i = 1; i < ids.length; i++) {
    const id = ids[i]!;
    let j = i - 1;
    for (; j >= 0 && id < ids[j]!; j--) ids[j + 1] = ids[j]!;
    ids[j + 1] = id;
  }
}

/** Sorts entries[lo, hi) by item id ascending (a group of zeros, whose signs may differ). */
function sortZeros(entries: Int32Array, lo: number, hi: number, names: readonly string[], keys: ArrayLike<number>): void {
  const sorted = Array.from(entries.subarray(lo, hi)).sort((a, b) => (names[keys[a]!]! < names[keys[b]!]! ? -1 : 1));
  entries.set(sorted, lo);
}
