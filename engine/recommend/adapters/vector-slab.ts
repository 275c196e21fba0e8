import { InvalidVectorError, UNIT_LENGTH_TOLERANCE, type Neighbour } from '../vector-index.js';
import { TopK } from './top-k.js';

export { TopK } from './top-k.js';

/**
 * What the vector indexes share (`ExactVectorIndex` and `HnswVectorIndex`): the unit
 * vectors by slot, exact top-k scans and argument checks, so both return identical similarities
 * and orderings for the same data.
 */

/**
 * Unit-length vectors stored row by row in one growable Float32Array, addressed by slot, with
 * the id <-> slot maps and a free list. Slots of removed ids are reused (last freed first), so
 * slots stay dense in [0, capacity): the HNSW adapter uses them directly as hnswlib labels.
 */
export class VectorSlab {
  /** Rows x dimension floats; row `slot` holds that slot's unit vector. */
  private rows: Float32Array;
  private readonly slotById = new Map<string, number>();
  /** undefined for a slot that is free (never used, or released). */
  private readonly idBySlot: (string | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** Slots [0, highWater) have been handed out at least once. */
  private highWater = 0;
  /** Scratch row offsets of similaritiesOf, grown as needed. */
  private offsets = new Int32Array(0);

  constructor(
    readonly dimension: number,
    initialCapacity: number,
  ) {
    if (!Number.isInteger(initialCapacity) || initialCapacity < 1) {
      throw new RangeError(`initialCapacity must be a positive integer, got ${initialCapacity}`);
    }
    this.rows = new Float32Array(initialCapacity * dimension);
  }

  /** Rows allocated (live + free + never used). */
  get capacity(): number {
    return this.rows.length / this.dimension;
  }

  /** Live ids. */
  get size(): number {
    return this.slotById.size;
  }

  /** One past the highest slot ever used: scans need look no further. */
  get usedSlots(): number {
    return this.highWater;
  }

  slotOf(id: string): number | undefined {
    return this.slotById.get(id);
  }

  idAt(slot: number): string | undefined {
    return this.idBySlot[slot];
  }

  has(id: string): boolean {
    return this.slotById.has(id);
  }

  /** A copy of the id's stored unit vector. */
  vectorOf(id: string): Float32Array | undefined {
    const slot = this.slotById.get(id);
    return slot === undefined ? undefined : this.copyOf(slot);
  }

  /** {@link vectorOf} in place: a view of the row, valid until the slab next changes (see VectorIndex.view). */
  viewOf(id: string): Float32Array | undefined {
    const slot = this.slotById.get(id);
    if (slot === undefined) return undefined;
    const start = slot * this.dimension;
    return this.rows.subarray(start, start + this.dimension);
  }

  /**
   * The slot the next new id will get, growing storage (doubling) when full. Changes nothing
   * visible: the slot is only taken by {@link assign}. `reused` says it held an id before.
   */
  reserve(): { slot: number; reused: boolean } {
    const free = this.freeSlots[this.freeSlots.length - 1];
    if (free !== undefined) return { slot: free, reused: true };
    if (this.highWater === this.capacity) {
      const grown = new Float32Array(this.rows.length * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    return { slot: this.highWater, reused: false };
  }

  /** Takes the slot returned by the last {@link reserve} for `id` and stores its unit vector. */
  assign(id: string, slot: number, unit: Float32Array): void {
    if (this.freeSlots[this.freeSlots.length - 1] === slot) this.freeSlots.pop();
    else if (slot === this.highWater) this.highWater++;
    else throw new Error(`slot ${slot} was not reserved`);
    this.slotById.set(id, slot);
    this.idBySlot[slot] = id;
    this.write(slot, unit);
  }

  write(slot: number, unit: Float32Array): void {
    this.rows.set(unit, slot * this.dimension);
  }

  /** Frees the id's slot; returns it, or undefined when the id is unknown. */
  release(id: string): number | undefined {
    const slot = this.slotById.get(id);
    if (slot === undefined) return undefined;
    this.slotById.delete(id);
    this.idBySlot[slot] = undefined;
    this.freeSlots.push(slot);
    return slot;
  }

  /** Cosine of the id's vector with a unit query; undefined for an unknown id. */
  similarityOf(id: string, unitQuery: Float32Array): number | undefined {
    const slot = this.slotById.get(id);
    return slot === undefined ? undefined : this.similarity(slot, unitQuery);
  }

  /**
   * VectorIndex.similarities: similarityOf for ids[0..count) into out (NaN: unknown id), four rows
   * at a time. Each row is still summed in index order from 0 (similarityOf's additions, so the same
   * bits), but four independent chains overlap: 335 rows (a list's measure) ~110 us instead of ~185
   * at 3000 items, ~170 instead of ~335 at 50000 (cold caches, /tmp/h12c/kern/k.mjs, load ~9).
   */
  similaritiesOf(ids: readonly string[], count: number, unitQuery: Float32Array, out: Float64Array): void {
    const rows = this.rows;
    const length = unitQuery.length;
    if (this.offsets.length < count) this.offsets = new Int32Array(Math.max(count, 2 * this.offsets.length));
    const at = this.offsets;
    for (let i = 0; i < count; i++) at[i] = (this.slotById.get(ids[i]!) ?? -1) * this.dimension;
    let i = 0;
    for (; i + 4 <= count; i += 4) {
      const o0 = at[i]!;
      const o1 = at[i + 1]!;
      const o2 = at[i + 2]!;
      const o3 = at[i + 3]!;
      if (o0 < 0 || o1 < 0 || o2 < 0 || o3 < 0) {
        // A group holding an unknown id (rare): one row at a time.
        for (let j = i; j < i + 4; j++) out[j] = at[j]! < 0 ? Number.NaN : clampUnit(dotAt(unitQuery, 0, rows, at[j]!, length));
        continue;
      }
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let d = 0; d < length; d++) {
        const q = unitQuery[d]!;
        s0 += q * rows[o0 + d]!;
        s1 += q * rows[o1 + d]!;
        s2 += q * rows[o2 + d]!;
        s3 += q * rows[o3 + d]!;
      }
      out[i] = clampUnit(s0);
      out[i + 1] = clampUnit(s1);
      out[i + 2] = clampUnit(s2);
      out[i + 3] = clampUnit(s3);
    }
    for (; i < count; i++) out[i] = at[i]! < 0 ? Number.NaN : clampUnit(dotAt(unitQuery, 0, rows, at[i]!, length));
  }

  /**
   * Cosine of two ids' stored vectors, read in place (no copy), clamped to [-1, 1]; undefined when
   * either id is unknown. Equals `similarityOf(a, copy of b's vector)` exactly: the float32
   * products are exact in float64 and summed in the same order. Cost: two map reads and one
   * dimension-long dot product.
   */
  pairSimilarity(a: string, b: string): number | undefined {
    const slotA = this.slotById.get(a);
    if (slotA === undefined) return undefined;
    const slotB = this.slotById.get(b);
    return slotB === undefined ? undefined : this.slotSimilarity(slotA, slotB);
  }

  /** Cosine of two slots' vectors, clamped to [-1, 1] against rounding. */
  slotSimilarity(slotA: number, slotB: number): number {
    return clampUnit(dotAt(this.rows, slotB * this.dimension, this.rows, slotA * this.dimension, this.dimension));
  }

  copyOf(slot: number): Float32Array {
    const start = slot * this.dimension;
    return this.rows.slice(start, start + this.dimension);
  }

  /** Cosine of the slot's vector with a unit query, clamped to [-1, 1] against rounding. */
  similarity(slot: number, unitQuery: Float32Array): number {
    return clampUnit(dotAt(unitQuery, 0, this.rows, slot * this.dimension, unitQuery.length));
  }

  /** Exact top-k over every live id passing `filter`. The filter is called once per live id. */
  scanAll(unitQuery: Float32Array, k: number, filter?: (id: string) => boolean): Neighbour[] {
    const top = new TopK(k);
    for (let slot = 0; slot < this.highWater; slot++) {
      const id = this.idBySlot[slot];
      if (id === undefined || (filter !== undefined && !filter(id))) continue;
      top.offer(id, this.similarity(slot, unitQuery));
    }
    return top.drain();
  }

  /**
   * {@link scanAll} with the filter answered by slot (AllowedSlots: byte 1 = the slot's id passes):
   * the same offers in the same order, a byte read instead of a filter call per live slot.
   */
  scanPassing(unitQuery: Float32Array, k: number, passing: Uint8Array): Neighbour[] {
    const top = new TopK(k);
    for (let slot = 0; slot < this.highWater; slot++) {
      if (passing[slot] !== 1) continue;
      top.offer(this.idBySlot[slot]!, this.similarity(slot, unitQuery));
    }
    return top.drain();
  }

  /** VectorIndex.scanExact: checks the query, then {@link scanIds} with its unit copy. */
  scanExact(query: Float32Array, k: number, ids: Iterable<string>): Neighbour[] {
    const unit = checkQuery(query, k, this.dimension);
    if (unit === undefined) return [];
    return this.scanIds(unit, k, ids);
  }

  /** Exact top-k over the given ids; unknown ids are skipped, duplicates count once. */
  scanIds(unitQuery: Float32Array, k: number, ids: Iterable<string>): Neighbour[] {
    const top = new TopK(k);
    const seen = new Set<number>();
    for (const id of ids) {
      const slot = this.slotById.get(id);
      if (slot === undefined || seen.has(slot)) continue;
      seen.add(slot);
      top.offer(id, this.similarity(slot, unitQuery));
    }
    return top.drain();
  }
}

/**
 * Dot product of a[aOffset..] and b[bOffset..] over `length` floats, in float64, summed in index
 * order: unrolled by four (~35% faster than the plain loop at 64 dimensions, ~90 ns) yet the same
 * additions in the same order, so the same result to the bit as `sum += a[i] * b[i]`.
 */
function dotAt(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, length: number): number {
  let sum = 0;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    const ai = aOffset + i;
    const bi = bOffset + i;
    sum += a[ai]! * b[bi]!;
    sum += a[ai + 1]! * b[bi + 1]!;
    sum += a[ai + 2]! * b[bi + 2]!;
    sum += a[ai + 3]! * b[bi + 3]!;
  }
  for (; i < length; i++) sum += a[aOffset + i]! * b[bOffset + i]!;
  return sum;
}

/** A cosine clamped to [-1, 1] against float rounding. */
function clampUnit(sum: number): number {
  return sum > 1 ? 1 : sum < -1 ? -1 : sum;
}

/** Throws a RangeError unless `dimension` is a positive integer (a configuration error). */
export function checkDimension(dimension: number): void {
  if (!Number.isInteger(dimension) || dimension < 1) {
    throw new RangeError(`dimension must be a positive integer, got ${dimension}`);
  }
}

/**
 * A unit-length copy of a vector to store; the caller's array is untouched.
 * @throws InvalidVectorError on a wrong length, a non-finite component or an all-zero vector.
 */
export function unitCopy(vector: Float32Array, dimension: number, id: string): Float32Array {
  if (vector.length !== dimension) {
    throw new InvalidVectorError(`vector for ${JSON.stringify(id)} has ${vector.length} dimensions, expected ${dimension}`);
  }
  const length = finiteLength(vector);
  if (length === undefined) throw new InvalidVectorError(`vector for ${JSON.stringify(id)} has a non-finite component`);
  if (length === 0) throw new InvalidVectorError(`vector for ${JSON.stringify(id)} is all zeros`);
  const unit = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) unit[i] = vector[i]! / length;
  return unit;
}

/**
 * Validates a search's arguments and returns the unit-length query (the query itself when it
 * already is one, within UNIT_LENGTH_TOLERANCE: never mutate it), or undefined when the query
 * has no direction (all zeros, or a NaN/Infinity component) or k is 0: such searches answer [].
 * @throws InvalidVectorError on a wrong query length; RangeError when k is not an integer >= 0.
 */
export function checkQuery(query: Float32Array, k: number, dimension: number): Float32Array | undefined {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be an integer >= 0, got ${k}`);
  if (query.length !== dimension) {
    throw new InvalidVectorError(`query has ${query.length} dimensions, expected ${dimension}`);
  }
  const length = finiteLength(query);
  if (k === 0 || length === undefined || length === 0) return undefined;
  // Already unit length (as the ranking's normalised taste is): used as it is, so the similarities
  // a search returns are exactly `similarity(id, query)` and callers may reuse them (see the port).
  if (Math.abs(length - 1) <= UNIT_LENGTH_TOLERANCE) return query;
  const unit = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) unit[i] = query[i]! / length;
  return unit;
}

/** L2 length, or undefined when a component is NaN or infinite. */
function finiteLength(vector: Float32Array): number | undefined {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    if (!Number.isFinite(x)) return undefined;
    sum += x * x;
  }
  return Math.sqrt(sum);
}
