import hnswlib from 'hnswlib-node';
import { setFilterParts, type Neighbour, type SearchMemoBox, type VectorIndex } from '../vector-index.js';
import { AllowedSlots } from './allowed-slots.js';
import { SearchMemo, memoAnswer } from './hnsw-search-memo.js';
import {
  BREADTH_MARGIN,
  DOT_NS_PER_DIMENSION,
  FILTER_CALL_NS,
  GOLDEN_FRACTION,
  MAX_GRAPH_ATTEMPTS,
  MAX_WIDEN,
  SELECTIVITY_SAMPLE,
  WIDEN_MARGIN,
  graphNs,
} from './hnsw-search-cost.js';
import { TopK, VectorSlab, checkDimension, checkQuery, unitCopy } from './vector-slab.js';

/**
 * {@link VectorIndex} over hnswlib-node's HNSW graph, in the inner-product space on unit vectors
 * (distance = 1 - cosine). 'ip' on vectors we normalise ourselves is as fast as 'cosine' here
 * (both ~37k queries/s at 20k x 64) and gives the same answer, without hnswlib normalising a
 * second copy of every vector.
 *
 * Labels are slots of a {@link VectorSlab}: dense integers reused after a remove. A reused label
 * is un-deleted and updated in place by addPoint on the same label, rather than through
 * hnswlib's `replaceDeleted`, which picks the slot itself and leaves the old label of that slot
 * in its lookup table (a later replacement would then erase a live label's entry). The slab keeps a unit copy of each vector, so `get`, exact
 * scans and the similarities returned never go through the native side.
 *
 * Every call is synchronous and blocks the event loop for its duration (see the port).
 */
export interface HnswVectorIndexOptions {
  /** Length of every vector. */
  dimension: number;
  /** Graph out-degree (hnswlib M): 12-48; memory grows with it. */
  m: number;
  /** Candidate list size while inserting: higher builds slower and searches better. */
  efConstruction: number;
  /** Candidate list size while searching (raised to k when k is larger). */
  ef: number;
  /** Items allocated up front; capacity doubles when full. Default 1024. */
  initialCapacity?: number;
  /** Seed of the graph's level generator, for reproducible builds. Default 100 (hnswlib's). */
  seed?: number;
  /**
   * How a search picks between the graph and an exact scan. 'cost' (default) estimates both from
   * the filter's sampled selectivity and takes the cheaper; 'graph-first' always asks the graph
   * first. Either way a graph answer shorter than k is replaced by an exact scan.
   */
  planner?: 'cost' | 'graph-first';
}

export class HnswVectorIndex implements VectorIndex {
  readonly dimension: number;
  private readonly slab: VectorSlab;
  private readonly graph: hnswlib.HierarchicalNSW;
  private readonly efSearch: number;
  private readonly planner: 'cost' | 'graph-first';
  /** The query as hnswlib-node takes it (a plain array), reused by every search. */
  private readonly point: number[];
  /** Bumped by every upsert and remove: a {@link SearchMemo} of an older generation is stale. */
  private generation = 0;
  /** The memo of the last graph walk of the current search (set by searchGraph). */
  private walked: SearchMemo | undefined;
  /** Whether the current search's caller keeps a memo (only then does a walk record one). */
  private recording = false;
  /** Set filters (setFilter) by slot, and the current search's answer by slot when its filter is one. */
  private readonly allowedSlots = new AllowedSlots();
  private passing: Uint8Array | undefined;
  private readonly cleared: number[] = [];

  constructor(options: HnswVectorIndexOptions) {
    checkDimension(options.dimension);
    requireInteger('m', options.m, 2);
    requireInteger('efConstruction', options.efConstruction, 1);
    requireInteger('ef', options.ef, 1);
    const initialCapacity = options.initialCapacity ?? 1024;
    requireInteger('initialCapacity', initialCapacity, 1);
    this.dimension = options.dimension;
    this.efSearch = options.ef;
    this.planner = options.planner ?? 'cost';
    this.point = new Array<number>(options.dimension).fill(0);
    this.slab = new VectorSlab(options.dimension, initialCapacity);
    this.graph = new hnswlib.HierarchicalNSW('ip', options.dimension);
    this.graph.initIndex({
      maxElements: initialCapacity,
      m: options.m,
      efConstruction: options.efConstruction,
      randomSeed: options.seed ?? 100,
      allowReplaceDeleted: false,
    });
    this.graph.setEf(options.ef);
  }

  get size(): number {
    return this.slab.size;
  }

  /** Items the graph holds room for before it next doubles. */
  get capacity(): number {
    return this.graph.getMaxElements();
  }

  get ef(): number {
    return this.efSearch;
  }

  upsert(id: string, vector: Float32Array): void {
    const unit = unitCopy(vector, this.dimension, id);
    this.generation++;
    const point = Array.from(unit);
    const existing = this.slab.slotOf(id);
    if (existing !== undefined) {
      // Same label: hnswlib updates the point in place and repairs its neighbours' links.
      this.graph.addPoint(point, existing);
      this.slab.write(existing, unit);
      return;
    }
    // A reused slot's label is still in the graph, marked deleted: with allowReplaceDeleted off,
    // addPoint on it un-deletes it and updates its vector and links in place.
    const { slot } = this.slab.reserve();
    if (slot >= this.graph.getMaxElements()) this.graph.resizeIndex(this.slab.capacity);
    this.graph.addPoint(point, slot);
    this.slab.assign(id, slot, unit);
  }

  remove(id: string): boolean {
    const slot = this.slab.slotOf(id);
    if (slot === undefined) return false;
    this.generation++;
    this.graph.markDelete(slot);
    this.slab.release(id);
    return true;
  }

  has(id: string): boolean {
    return this.slab.has(id);
  }

  /** A copy of the stored unit vector. */
  get(id: string): Float32Array | undefined {
    return this.slab.vectorOf(id);
  }

  view(id: string): Float32Array | undefined {
    return this.slab.viewOf(id);
  }

  similarity(id: string, unitQuery: Float32Array): number | undefined {
    return this.slab.similarityOf(id, unitQuery);
  }

  similarities(ids: readonly string[], count: number, unitQuery: Float32Array, out: Float64Array): void {
    this.slab.similaritiesOf(ids, count, unitQuery, out);
  }

  /**
   * Up to k nearest ids passing `filter`, best first; never shorter than k when k items pass.
   * The filter must be pure: it may be called more than once per id (sampling, then the search).
   *
   * A filter never runs inside the native walk (a JS call per visited node costs more than the
   * walk itself): the graph is walked unfiltered, wide enough to return the k wanted passing
   * ids (k / the filter's sampled selectivity, plus BREADTH_MARGIN) and never narrower than ef
   * (hnswlib walks max(ef, breadth) wide whatever is asked, so the rest of its candidates come
   * free), and the filter is applied to what it returns. (It walked as wide as a filtered walk
   * of ef would have gone, max(ef, k) / selectivity: ~92 for a list's 40 candidates at ~0.8
   * passing, 76 us at 3,000 random 64-dimension items and 208 at 50,000, against 67 and 153 at
   * 64; `npm run eval` serves the same lists to two decimals either way.) A walk that leaves
   * fewer than k passing is widened, and after MAX_GRAPH_ATTEMPTS (or once the graph has nothing
   * more to give) an exact scan answers. The 'cost' planner sends selective filters to the exact
   * scan at once.
   */
  search(query: Float32Array, k: number, filter?: (id: string) => boolean, memo?: SearchMemoBox): Neighbour[] {
    const unit = checkQuery(query, k, this.dimension);
    const live = this.slab.size;
    const remembered = memo?.value instanceof SearchMemo && memo.value.owner === this ? memo.value : undefined;
    if (memo) memo.value = undefined;
    if (unit === undefined || live === 0) return [];
    const wanted = Math.min(k, live);
    // A set filter (a list's) is answered by slot for the whole search: bytes, no string hashing.
    const parts = setFilterParts(filter);
    const passing = parts && this.allowedSlots.passing(parts, this.slab, this.generation, this.cleared);
    this.passing = passing;
    try {
      if (remembered !== undefined) {
        const reused = this.fromMemo(remembered, unit, wanted, filter);
        if (reused !== undefined) {
          if (memo) memo.value = remembered;
          return reused;
        }
      }
      this.recording = memo !== undefined;
      this.walked = undefined;
      const found = this.plannedSearch(unit, k, wanted, live, filter);
      if (memo && this.walked) memo.value = this.walked;
      return found;
    } finally {
      this.recording = false;
      this.walked = undefined;
      this.passing = undefined;
      if (passing) this.allowedSlots.restore(passing, this.cleared);
    }
  }

  /** An exact scan of every live id passing the current search's filter (by slot when it has a set filter's). */
  private scanAll(unit: Float32Array, k: number, filter?: (id: string) => boolean): Neighbour[] {
    return this.passing ? this.slab.scanPassing(unit, k, this.passing) : this.slab.scanAll(unit, k, filter);
  }

  /** {@link search} without a memo: the planner's choice of graph walk or exact scan. */
  private plannedSearch(unit: Float32Array, k: number, wanted: number, live: number, filter?: (id: string) => boolean): Neighbour[] {
    if (filter === undefined) {
      if (this.planner === 'cost' && live * this.dimension * DOT_NS_PER_DIMENSION <= graphNs(wanted, this.efSearch))
        return this.slab.scanAll(unit, k);
      const { found } = this.searchGraph(unit, wanted, wanted);
      // A graph answer is short only when the walk ran out of reachable nodes before finding k
      // (hnswlib stops early only once it holds max(ef, k) candidates), so a larger ef would not
      // help: only a scan can reach what the graph cannot.
      return found.length >= wanted ? found : this.slab.scanAll(unit, k);
    }
    const dotNs = this.dimension * DOT_NS_PER_DIMENSION;
    // Cheaper than any graph walk even if everything passes: skip sampling.
    if (this.planner === 'cost' && live * (FILTER_CALL_NS + dotNs) <= graphNs(wanted, this.efSearch)) return this.scanAll(unit, k, filter);
    const selectivity = this.sampleSelectivity(filter);
    const scanNs = live * (FILTER_CALL_NS + selectivity * dotNs);
    const walkNs = (breadth: number) => graphNs(breadth, this.efSearch) + breadth * (FILTER_CALL_NS + dotNs);
    let breadth = Math.min(live, Math.max(this.efSearch, Math.ceil((wanted * BREADTH_MARGIN) / selectivity)));
    if (this.planner === 'cost' && scanNs <= walkNs(breadth)) return this.scanAll(unit, k, filter);
    for (let attempt = 1; ; attempt++) {
      const { found, passed, exhausted } = this.searchGraph(unit, breadth, wanted, filter);
      if (found.length >= wanted) return found;
      if (exhausted || breadth >= live || attempt >= MAX_GRAPH_ATTEMPTS) return this.scanAll(unit, k, filter);
      // Wide enough for the pass rate this walk saw, 2 to MAX_WIDEN times as wide as it was; the
      // items near the query pass less often than the sample said, so a scan may be cheaper now.
      const aimed = Math.ceil((breadth * wanted * WIDEN_MARGIN) / Math.max(1, passed));
      breadth = Math.min(live, Math.max(2 * breadth, Math.min(MAX_WIDEN * breadth, aimed)));
      if (this.planner === 'cost' && scanNs <= walkNs(breadth)) return this.scanAll(unit, k, filter);
    }
  }

  scanExact(query: Float32Array, k: number, ids: Iterable<string>): Neighbour[] {
    return this.slab.scanExact(query, k, ids);
  }

  /**
   * The answer to `unit` from a walk made for a nearby query, when it is provably the one a fresh
   * walk of the same breadth would give; undefined otherwise. Every item outside the walk was no
   * nearer the old query than the walk's farthest (`floor`); between unit vectors a cosine moves
   * by at most the distance |q - q'| the query moved, so when the wanted-th best passing item of
   * the walk, measured again against the new query, is at least `floor + |q - q'|`, nothing
   * outside the walk can beat it. A shopper's taste moves by roughly 1/strength per event, so an
   * established shopper's next list usually reuses the walk: `breadth` dot products
   * (~80 x 64 dimensions, ~5-10 us) instead of the native walk (~60-100 us).
   */
  private fromMemo(memo: SearchMemo, unit: Float32Array, wanted: number, filter?: (id: string) => boolean): Neighbour[] | undefined {
    if (memo.generation !== this.generation) return undefined;
    return memoAnswer(memo, this.slab, unit, wanted, this.passing, filter);
  }

  /**
   * The `wanted` best of the graph's `breadth` nearest (an unfiltered native walk) that pass
   * `filter`; `passed` counts those, `exhausted` says the walk returned fewer than `breadth`.
   */
  private searchGraph(
    unit: Float32Array,
    breadth: number,
    wanted: number,
    filter?: (id: string) => boolean,
  ): { found: Neighbour[]; passed: number; exhausted: boolean } {
    const point = this.point;
    for (let i = 0; i < point.length; i++) point[i] = unit[i]!;
    const labels = this.graph.searchKnn(point, breadth).neighbors;
    // Similarities come from our float64 dot on the stored copy, as in an exact scan, so both
    // paths score and order the same item identically.
    const top = new TopK(wanted);
    let passed = 0;
    let floor = Infinity;
    const recording = this.recording;
    const passing = this.passing;
    // One dot product per label, measured only when it is used (the memo's floor, or a passing id).
    // With a set filter's bytes, a label that fails costs one byte read (and no id) unless recording.
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      let similarity = Number.NaN;
      if (recording) {
        if (this.slab.idAt(label) === undefined) continue;
        similarity = this.slab.similarity(label, unit);
        if (similarity < floor) floor = similarity;
      }
      let id: string | undefined;
      if (passing !== undefined) {
        if (passing[label] !== 1) continue;
        id = this.slab.idAt(label)!;
      } else {
        id = this.slab.idAt(label);
        if (id === undefined || (filter !== undefined && !filter(id))) continue;
      }
      passed++;
      top.offer(id, recording ? similarity : this.slab.similarity(label, unit));
    }
    const exhausted = labels.length < breadth;
    // A full walk is remembered for the next search of a nearby query (fromMemo).
    const found = top.drain();
    const headroom = found.length === wanted ? found[wanted - 1]!.similarity - floor : 0;
    if (recording)
      this.walked = exhausted
        ? undefined
        : new SearchMemo(this, this.generation, Float32Array.from(unit), Int32Array.from(labels), floor, headroom);
    return { found, passed, exhausted };
  }

  /**
   * Fraction of live ids passing `filter`, from up to SELECTIVITY_SAMPLE live slots spread over
   * the used range (deterministic, so the same call plans the same way). Never 0: one more pass
   * than seen is assumed, which errs towards the exact scan for rare filters.
   */
  private sampleSelectivity(filter: (id: string) => boolean): number {
    const used = this.slab.usedSlots;
    let sampled = 0;
    let passed = 0;
    for (let probe = 0; probe < 4 * SELECTIVITY_SAMPLE && sampled < SELECTIVITY_SAMPLE; probe++) {
      const slot = Math.floor(((probe * GOLDEN_FRACTION) % 1) * used);
      const id = this.slab.idAt(slot);
      if (id === undefined) continue;
      sampled++;
      if (this.passing !== undefined ? this.passing[slot] === 1 : filter(id)) passed++;
    }
    return Math.min(1, (passed + 0.5) / (sampled + 1));
  }

  /** Cosine of two stored vectors, read in place in the slab (VectorIndex.pairSimilarity). */
  pairSimilarity(a: string, b: string): number | undefined {
    return this.slab.pairSimilarity(a, b);
  }
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}
