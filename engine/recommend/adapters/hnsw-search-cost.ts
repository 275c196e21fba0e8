// Cost model of one search, in nanoseconds (hnswlib-node, 64 dimensions, m 16, measured on the
// 2-core reference machine): an unfiltered walk of breadth max(ef, k) costs 30-50 us up to 64 and
// grows about linearly past it (k 1,024: 0.47 ms at 3k items, 0.7 ms at 50k); a JS scan costs a
// filter call per live id and a dot product per passing one. (A filter inside the walk would
// cost a JS call per visited node: 118 us instead of 50 at 3k items, 369 instead of 99 at 100k.)
export const FILTER_CALL_NS = 20;
export const DOT_NS_PER_DIMENSION = 2;
export const GRAPH_QUERY_NS = 30_000;
/** Ids the filter is tried on to estimate its selectivity. */
export const SELECTIVITY_SAMPLE = 64;
/** The fractional part of the golden ratio: a low-discrepancy stride for sampling slots. */
export const GOLDEN_FRACTION = 0.6180339887498949;
/**
 * An unfiltered walk of breadth k / selectivity holds k passing items only about half the time
 * (the items nearest a shopper's taste are their recent ones, which their lists exclude, so
 * fewer pass there than the sample says). This margin makes it hold them about nine times in
 * ten, for ~8% more walk.
 */
export const BREADTH_MARGIN = 1.15;
/** Graph walks of growing breadth tried before a filtered search falls back to the exact scan. */
export const MAX_GRAPH_ATTEMPTS = 3;
/** A widened walk aims at this many times the passing ids it needs, for the pass rate seen... */
export const WIDEN_MARGIN = 1.5;
/** ...but grows at most this many times per attempt. */
export const MAX_WIDEN = 8;

/** Modelled cost (ns) of an unfiltered graph walk returning `breadth` ids with search ef `ef`. */
export function graphNs(breadth: number, ef: number): number {
  return GRAPH_QUERY_NS * Math.max(1, Math.max(ef, breadth) / 50);
}
