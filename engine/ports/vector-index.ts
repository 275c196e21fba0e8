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
  get(id: string): Float32Array | undefined;
  /**
   * Up to k nearest ids that pass `filter`, best first. The filter is applied inside the search,
   * so the answer is short only when fewer than k items pass it.
   */
  search(query: Float32Array, k: number, filter?: (id: string) => boolean): Neighbour[];
}
