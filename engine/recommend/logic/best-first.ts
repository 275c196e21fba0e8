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
 */
export function firstPassingBest(
  names: readonly string[],
  keys: ArrayLike<number>,
  scores: Float64Array,
  count: number,
  limit: number,
  take: number,
  filter?: (id: string) => boolean,
): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  if (count <= 0 || limit <= 0 || take <= 0) return out;
  // Entries [lo, count) of `order` are not read yet; each round moves the best of them (by
  // score, at least `round` of them) to [lo, hi), sorts that and reads it.
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let values: Float64Array | undefined;
  let lo = 0;
  let read = 0;
  while (lo < count) {
    const wanted = take - out.length;
    const round = Math.min(limit - read, filter === undefined ? wanted : wanted + ROUND_SLACK);
    let hi = count;
    if (count - lo > round) {
      values ??= new Float64Array(count);
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
    // votes tie often), each group sorted by id only once it is reached.
    const levels = scoreLevels(scores, order, lo, hi);
    const byLevel = groupByLevel(scores, order, lo, hi, levels);
    let start = 0;
    for (let level = 0; level < levels.length; level++) {
      const end = byLevel.ends[level]!;
      sortById(byLevel.entries, start, end, names, keys);
      for (let i = start; i < end; i++) {
        const entry = byLevel.entries[i]!;
        const id = names[keys[entry]!]!;
        read++;
        if (filter === undefined || filter(id)) out.push([id, scores[entry]!]);
        if (read >= limit || out.length >= take) return out;
      }
      start = end;
    }
    lo = hi;
  }
  return out;
}

/**
 * Positions of the `keep` highest of `similarity` (ties: the lower position), highest first,
 * ties by position: a sort by (similarity desc, position asc) cut to `keep`, sorting only those kept.
 */
export function strongestFirst(similarity: readonly number[], keep: number): number[] {
  const order: number[] = [];
  if (similarity.length > keep) {
    const threshold = keepthBest(similarity, keep);
    let above = 0;
    for (const value of similarity) if (value > threshold) above++;
    let atThreshold = keep - above;
    for (let i = 0; i < similarity.length; i++) {
      const value = similarity[i]!;
      if (value > threshold || (value === threshold && atThreshold-- > 0)) order.push(i);
    }
  } else for (let i = 0; i < similarity.length; i++) order.push(i);
  if (order.length > STRONGEST_INSERTION_MAX) order.sort((a, b) => similarity[b]! - similarity[a]! || a - b);
  else
    for (let i = 1; i < order.length; i++) {
      const entry = order[i]!;
      const value = similarity[entry]!;
      let j = i - 1;
      // Positions are in ascending order before the sort: a tie never moves past an earlier one.
      for (; j >= 0 && value > similarity[order[j]!]!; j--) order[j + 1] = order[j]!;
      order[j + 1] = entry;
    }
  return order;
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

/** The distinct scores of order[lo, hi), highest first. */
function scoreLevels(scores: Float64Array, order: Int32Array, lo: number, hi: number): Float64Array {
  const sorted = new Float64Array(hi - lo);
  for (let i = lo; i < hi; i++) sorted[i - lo] = scores[order[i]!]!;
  sorted.sort();
  const levels = new Float64Array(sorted.length);
  let distinct = 0;
  for (let i = sorted.length - 1; i >= 0; i--) if (distinct === 0 || sorted[i] !== levels[distinct - 1]) levels[distinct++] = sorted[i]!;
  return levels.subarray(0, distinct);
}

/** The entries of order[lo, hi) grouped by level (counting sort): level l's are entries[ends[l - 1] (0 for l = 0), ends[l]). */
function groupByLevel(
  scores: Float64Array,
  order: Int32Array,
  lo: number,
  hi: number,
  levels: Float64Array,
): { entries: Int32Array; ends: Int32Array } {
  const ranks = new Int32Array(hi - lo);
  const ends = new Int32Array(levels.length);
  for (let i = lo; i < hi; i++) {
    const score = scores[order[i]!]!;
    // Binary search in the descending levels: the score is one of them.
    let low = 0;
    let high = levels.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (levels[middle]! > score) low = middle + 1;
      else high = middle;
    }
    ranks[i - lo] = low;
    ends[low]!++;
  }
  for (let level = 1; level < ends.length; level++) ends[level]! += ends[level - 1]!;
  const entries = new Int32Array(hi - lo);
  // Filled from the back, so each level keeps the entries' order (not needed: each is sorted by id).
  for (let i = hi - 1; i >= lo; i--) entries[--ends[ranks[i - lo]!]!] = order[i]!;
  for (let level = 0; level < ends.length; level++) ends[level] = level + 1 < ends.length ? ends[level + 1]! : hi - lo;
  return { entries, ends };
}

/** Sorts entries[lo, hi) by item id ascending (the ties of one score). */
function sortById(entries: Int32Array, lo: number, hi: number, names: readonly string[], keys: ArrayLike<number>): void {
  if (hi - lo > INSERTION_SORT_MAX) {
    const sorted = Array.from(entries.subarray(lo, hi)).sort((a, b) => compareIds(names[keys[a]!]!, names[keys[b]!]!));
    entries.set(sorted, lo);
    return;
  }
  for (let i = lo + 1; i < hi; i++) {
    const entry = entries[i]!;
    const id = names[keys[entry]!]!;
    let j = i - 1;
    for (; j >= lo && id < names[keys[entries[j]!]!]!; j--) entries[j + 1] = entries[j]!;
    entries[j + 1] = entry;
  }
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
