import type { RecentInteraction, UserState } from '../user-state-store.js';
import { UNVERSIONED_VECTOR_VERSION } from './state-limits.js';
import { tasteWeight } from './event-weights.js';
import { decayedStrength, foldInMany, type TasteState, type WeightedVector } from './user-vector.js';

/**
 * A shopper's taste in the space of the serving model's vectors: whether a stored taste is of
 * another space, and re-deriving it from the recent interactions (event-effect.ts uses it).
 */

/** Where an event's vectors come from: the item index, and the text encoder and text index for searches. */
export interface VectorLookup {
  /** An item's unit vector; may be the index's storage in place (VectorIndex.view): read it at once, never keep or change it. */
  item(itemId: string): Float32Array | undefined;
  text(query: string): Float32Array;
  /**
   * The catalog's best BM25 matches of a search query (raw scores, best first); a search moves
   * the shopper toward their item vectors too (search-relevance.ts). Without it only the query's
   * vector moves it.
   */
  textMatches?(query: string): ReadonlyArray<{ id: string; score: number }>;
  /**
   * Version of the space these vectors live in (the serving model's `modelVersion`). When given,
   * a user vector made in another space (or of another dimension) is re-derived before use, and
   * every vector stored carries this version.
   */
  version?: string;
  /** Length of the vectors; with `version`, a user vector of another length is re-derived. */
  dimension?: number;
}

/**
 * Whether the user's vector was made in another space than `vectors` (another model version, or
 * another dimension). Never when `vectors` names no version, or the user has no vector.
 */
export function isStaleTaste(state: UserState, vectors: VectorLookup): boolean {
  if (vectors.version === undefined || state.vector === null) return false;
  if (vectors.dimension !== undefined && state.vector.length !== vectors.dimension) return true;
  return (state.vectorVersion ?? UNVERSIONED_VECTOR_VERSION) !== vectors.version;
}

/**
 * `state` with its taste in the space of `vectors`: itself when already there, else with the
 * vector and strength re-derived from its recent interactions (see {@link rederiveTaste}).
 * For reads: nothing is stored; the next applied event stores the re-derived vector.
 */
export function inSpaceOf(state: UserState, vectors: VectorLookup, halfLifeSeconds: number): UserState {
  return isStaleTaste(state, vectors) ? rederivedState(state, vectors, halfLifeSeconds) : state;
}

export function rederivedState(state: UserState, vectors: VectorLookup, halfLifeSeconds: number): UserState {
  const taste = rederiveTaste(state.recent, vectors, halfLifeSeconds, state.updatedAt);
  const { vectorVersion: _old, ...rest } = state;
  return {
    ...rest,
    vector: taste.vector,
    strength: taste.strength,
    updatedAt: taste.updatedAt,
    ...(taste.vector && vectors.version !== undefined ? { vectorVersion: vectors.version } : {}),
  };
}

/**
 * A taste re-made in the space of `vectors` from recent interactions (newest first, as stored):
 * folded oldest first with the same weights, basket sharing and time decay as live events, then
 * decayed to `updatedAt` (the user's last event). Interactions with items `vectors` does not know
 * are skipped; with none known the vector is null and the strength 0. Searches count only through
 * the item they led to (their words are not kept). Pure.
 */
export function rederiveTaste(
  recent: readonly RecentInteraction[],
  vectors: VectorLookup,
  halfLifeSeconds: number,
  updatedAt: number,
): TasteState {
  const { taste } = foldRecent({ vector: null, strength: 0, updatedAt: 0 }, recent, vectors, halfLifeSeconds);
  if (!taste.vector) return { vector: null, strength: 0, updatedAt: Math.max(updatedAt, 0) };
  const until = Math.max(updatedAt, taste.updatedAt);
  return { vector: taste.vector, strength: decayedStrength(taste, until, halfLifeSeconds), updatedAt: until };
}

/**
 * Folds recent interactions (newest first, as stored) into `start`, oldest first, one event at a
 * time: an event's lines share its type and time and sit next to each other, and share its weight
 * as weight/sqrt(lines), as live events do. Vectors of another dimension than the taste's (or the
 * lookup's) are skipped. `moved` says whether any vector was folded in. Pure.
 */
export function foldRecent(
  start: TasteState,
  recent: readonly RecentInteraction[],
  vectors: VectorLookup,
  halfLifeSeconds: number,
): { taste: TasteState; moved: boolean } {
  let taste = start;
  let moved = false;
  for (let end = recent.length; end > 0; ) {
    const last = recent[end - 1]!;
    let first = end - 1;
    while (first > 0 && recent[first - 1]!.ts === last.ts && recent[first - 1]!.type === last.type) first--;
    const group = recent.slice(first, end);
    end = first;
    const weight = tasteWeight[last.type];
    const lineWeight = group.length > 1 ? weight / Math.sqrt(group.length) : weight;
    const dimension = taste.vector?.length ?? vectors.dimension;
    const touched: WeightedVector[] = [];
    for (const entry of group) {
      const vector = vectors.item(entry.itemId);
      if (vector && (dimension === undefined || vector.length === dimension)) touched.push({ vector, weight: lineWeight });
    }
    if (touched.length === 0) continue;
    taste = foldInMany(taste, touched, last.ts, halfLifeSeconds);
    moved = true;
  }
  return { taste, moved };
}
