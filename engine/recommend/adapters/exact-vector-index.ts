import type { Neighbour, VectorIndex, SearchMemoBox } from '../vector-index.js';
import { VectorSlab, checkDimension, checkQuery, unitCopy } from './vector-slab.js';

/**
 * Brute-force cosine index: the in-memory fake of {@link VectorIndex} for unit tests and the
 * reference answer for recall measurements. Every search is exact, O(size x dimension). What it
 * shares with the HNSW adapter (storage, scans, checks) is in vector-slab.ts.
 */

export interface ExactVectorIndexOptions {
  /** Length of every vector. */
  dimension: number;
  /** Rows allocated up front; grows by doubling. Default 1024. */
  initialCapacity?: number;
}

export class ExactVectorIndex implements VectorIndex {
  readonly dimension: number;
  private readonly slab: VectorSlab;

  constructor(options: ExactVectorIndexOptions) {
    checkDimension(options.dimension);
    this.dimension = options.dimension;
    this.slab = new VectorSlab(options.dimension, options.initialCapacity ?? 1024);
  }

  get size(): number {
    return this.slab.size;
  }

  upsert(id: string, vector: Float32Array): void {
    const unit = unitCopy(vector, this.dimension, id);
    const existing = this.slab.slotOf(id);
    if (existing !== undefined) {
      this.slab.write(existing, unit);
      return;
    }
    this.slab.assign(id, this.slab.reserve().slot, unit);
  }

  remove(id: string): boolean {
    return this.slab.release(id) !== undefined;
  }

  has(id: string): boolean {
    return this.slab.has(id);
  }

  get(id: string): Float32Array | undefined {
    return this.slab.vectorOf(id);
  }

  similarity(id: string, unitQuery: Float32Array): number | undefined {
    return this.slab.similarityOf(id, unitQuery);
  }

  similarities(ids: readonly string[], count: number, unitQuery: Float32Array, out: Float64Array): void {
    this.slab.similaritiesOf(ids, count, unitQuery, out);
  }

  pairSimilarity(a: string, b: string): number | undefined {
    return this.slab.pairSimilarity(a, b);
  }

  /** An exact scan every time: a memo is never used, only cleared. */
  search(query: Float32Array, k: number, filter?: (id: string) => boolean, memo?: SearchMemoBox): Neighbour[] {
    if (memo) memo.value = undefined;
    const unit = checkQuery(query, k, this.dimension);
    if (unit === undefined || this.slab.size === 0) return [];
    return this.slab.scanAll(unit, k, filter);
  }

  scanExact(query: Float32Array, k: number, ids: Iterable<string>): Neighbour[] {
    return this.slab.scanExact(query, k, ids);
  }
}
