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
   * Cosine of the stored vector with a unit-length `unitQuery`, without copying the vector
   * (the ranking hot path); undefined for an unknown id.
   */
  similarity(id: string, unitQuery: Float32Array): number | undefined;
  /**
   * Up to k nearest ids that pass `filter`, best first. The filter is applied inside the search,
   * so the answer is short only when fewer than k items pass it.
   */
  search(query: Float32Array, k: number, filter?: (id: string) => boolean): Neighbour[];
  /**
   * Exact cosine top-k over the given ids only (unknown ids are skipped, duplicates count once),
   * best first. For small scopes (a category, a campaign's items), where a filtered HNSW search
   * collapses: cost is O(|ids| x dimension), independent of the index size.
   */
  scanExact(query: Float32Array, k: number, ids: Iterable<string>): Neighbour[];
}
