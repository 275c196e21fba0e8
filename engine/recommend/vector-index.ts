import { ErrorCodes, PulseError } from '../contracts/errors.js';

/**
 * A vector the index cannot take: wrong dimension, a non-finite component, or all zeros (no
 * direction, so no cosine). Thrown by `upsert` and `scanExact`/`search` on a wrong dimension;
 * nothing is changed when it is thrown.
 */
export class InvalidVectorError extends PulseError {
  override name = 'InvalidVectorError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.invalidRequest, message, undefined, options);
  }
}

/**
 * A query whose length is within this of 1 counts as unit length: searches use it as it is, so
 * their similarities equal `similarity(id, query)` exactly (float32 rounding of a normalised
 * vector leaves its length ~1e-7 off).
 */
export const UNIT_LENGTH_TOLERANCE = 1e-6;

/**
 * A caller's slot for a search memo (see VectorIndex.search): opaque, only the index that left a
 * value can read it. A caller keeps one per query stream (per shopper), e.g. in a bounded cache.
 */
export interface SearchMemoBox {
  value?: object | undefined;
}

export interface Neighbour {
  id: string;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
}

/**
 * Nearest-neighbour search over item vectors (cosine). Synchronous: hnswlib-node blocks per call.
 * Vectors are unit length; `upsert` normalises.
 */
export interface VectorIndex {
  readonly dimension: number;
  readonly size: number;
  upsert(id: string, vector: Float32Array): void;
  remove(id: string): boolean;
  has(id: string): boolean;
  /** A copy of the stored unit vector. */
  get(id: string): Float32Array | undefined;
  /**
   * Optional {@link get} without the copy: the stored unit vector in place. Read it at once and
   * never keep or change it (a later upsert, removal or growth of the index may move or overwrite
   * it). For the event path's item lookups (one per applied event: a copy and its garbage each).
   */
  view?(id: string): Float32Array | undefined;
  /**
   * Cosine of the stored vector with a unit-length `unitQuery`, without copying the vector
   * (the ranking hot path); undefined for an unknown id.
   */
  similarity(id: string, unitQuery: Float32Array): number | undefined;
  /**
   * Optional batch of {@link similarity}: `out[i]` is `similarity(ids[i], unitQuery)` for i below
   * `count`, bit for bit, or NaN for an unknown id. For the ranking's measure (~335 per list),
   * where several rows at a time cost less than one call each.
   */
  similarities?(ids: readonly string[], count: number, unitQuery: Float32Array, out: Float64Array): void;
  /**
   * Cosine of two stored vectors, read in place (MMR diversity, reasons: no copies), exactly
   * `similarity(a, get(b))`; undefined when either id is unknown.
   */
  pairSimilarity(a: string, b: string): number | undefined;
  /**
   * Up to k nearest ids that pass `filter`, best first; never shorter than k when k items pass
   * (the answer is short only when fewer than k items pass it). The filter must be pure: it may
   * be called more than once per id, and on ids the answer does not hold. Each similarity is the
   * one `similarity(id, query)` gives, exactly, when the query is of unit length (within
   * UNIT_LENGTH_TOLERANCE): callers may reuse it instead of measuring again.
   *
   * `memo` (optional) is the caller's slot for what this search leaves for its next one of a
   * nearby query (a shopper's next list): an index may answer from it when that provably gives
   * the answer a new search would, and leaves its own in it (or clears it). Indexes without such
   * a shortcut clear it.
   */
  search(query: Float32Array, k: number, filter?: (id: string) => boolean, memo?: SearchMemoBox): Neighbour[];
  /**
   * Exact cosine top-k over the given ids only (unknown ids are skipped, duplicates count once),
   * best first, similarities as `search` gives them. For small scopes (a category, a campaign's
   * items), where a filtered HNSW search collapses: cost is O(|ids| x dimension), independent of
   * the index size.
   */
  scanExact(query: Float32Array, k: number, ids: Iterable<string>): Neighbour[];
}

/**
 * What a set filter is made of (see {@link setFilter}): an id passes when it is in `allowed` and
 * not in `excluded`. `allowedVersion` changes whenever `allowed` does (the catalog's version for
 * its recommendable ids), so an index may keep a view of `allowed` by its own slots between calls.
 */
export interface SetFilterParts {
  readonly allowed: ReadonlySet<string>;
  readonly allowedVersion: number;
  readonly excluded: ReadonlySet<string>;
}

const setFilters = new WeakMap<object, SetFilterParts>();

/**
 * `(id) => !excluded.has(id) && allowed.has(id)`, described to the indexes: one that holds a view
 * of `allowed` by slot (HnswVectorIndex) answers the filter by slot in its walk, sampling and scans
 * (a byte read instead of two string-keyed Set reads per id), with exactly this function's answers.
 * Cost: one closure and one WeakMap entry per list.
 */
export function setFilter(parts: SetFilterParts): (itemId: string) => boolean {
  const { allowed, excluded } = parts;
  const filter = (id: string): boolean => !excluded.has(id) && allowed.has(id);
  setFilters.set(filter, parts);
  return filter;
}

/** The parts of a filter made by {@link setFilter}; undefined for any other filter. */
export function setFilterParts(filter: ((itemId: string) => boolean) | undefined): SetFilterParts | undefined {
  return filter === undefined ? undefined : setFilters.get(filter);
}
