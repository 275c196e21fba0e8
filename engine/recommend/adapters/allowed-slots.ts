import type { SetFilterParts } from '../vector-index.js';
import type { VectorSlab } from './vector-slab.js';

/** One allowed set by slot: byte 1 where the slot's id is in it, built at (version, generation). */
interface View {
  allowed: ReadonlySet<string>;
  version: number;
  generation: number;
  bits: Uint8Array;
  /** Searches answered (or sent to the filter) since the bytes were built. */
  uses: number;
}

/** Allowed sets kept (the engine passes one per tier: three). */
const MAX_VIEWS = 4;
/**
 * Above this many excluded ids (a shopper who bought hundreds of items), clearing them by slot
 * costs more than the string-keyed filter calls it saves (~250 per search): the filter is used.
 */
const MAX_EXCLUDED = 256;
/**
 * A stale view is rebuilt only once it served at least used slots / REBUILD_AMORTISED searches
 * since its last build; until then searches call the filter per id. A catalog that changes between
 * nearly every list (stock updates while shoppers browse) so never pays O(used slots) per search:
 * at most ~REBUILD_AMORTISED Set reads per search amortised, fewer than the ~250 filter calls a
 * view saves.
 */
const REBUILD_AMORTISED = 128;

/**
 * A set filter ({@link SetFilterParts}) answered by an index's slots: one byte per slot, 1 when
 * the slot holds an id that passes. The view of `allowed` is built once per (allowed set, its
 * version, the index's generation): O(used slots) Set reads (~0.1 ms at 3,000 items, ~2 ms at
 * 50,000), then reused by every search until the catalog or the index changes. Each search clears
 * its excluded ids' bytes (one slot lookup per excluded id, ~20-45 per list) and restores them
 * when it ends (searches are synchronous, so no other search sees the cleared bytes).
 */
export class AllowedSlots {
  private views: View[] = [];

  /**
   * Bytes by slot answering `parts`' filter for the index's current `generation`, with the slots
   * of the excluded ids cleared and listed in `cleared` (pass them to {@link restore} once the
   * search ends); undefined when the filter is better called per id (very many excluded ids).
   */
  passing(parts: SetFilterParts, slab: VectorSlab, generation: number, cleared: number[]): Uint8Array | undefined {
    if (parts.excluded.size > MAX_EXCLUDED) return undefined;
    const bits = this.view(parts, slab, generation)?.bits;
    if (bits === undefined) return undefined;
    for (const id of parts.excluded) {
      const slot = slab.slotOf(id);
      if (slot !== undefined && bits[slot] === 1) {
        bits[slot] = 0;
        cleared.push(slot);
      }
    }
    return bits;
  }

  /** Sets the bytes `passing` cleared back (and empties `cleared`). */
  restore(bits: Uint8Array, cleared: number[]): void {
    for (let i = 0; i < cleared.length; i++) bits[cleared[i]!] = 1;
    cleared.length = 0;
  }

  /** The view of `parts.allowed`, rebuilt when stale and amortised; undefined: call the filter this time. */
  private view(parts: SetFilterParts, slab: VectorSlab, generation: number): View | undefined {
    const { allowed, allowedVersion } = parts;
    const views = this.views;
    let view: View | undefined;
    for (let i = 0; i < views.length; i++) if (views[i]!.allowed === allowed) view = views[i];
    const used = slab.usedSlots;
    if (view !== undefined) {
      view.uses++;
      if (view.version === allowedVersion && view.generation === generation) return view;
      if (view.uses * REBUILD_AMORTISED < used) return undefined;
    }
    const bits = view !== undefined && view.bits.length >= used ? view.bits.fill(0) : new Uint8Array(used);
    for (let slot = 0; slot < used; slot++) {
      const id = slab.idAt(slot);
      if (id !== undefined && allowed.has(id)) bits[slot] = 1;
    }
    if (view === undefined) {
      view = { allowed, version: allowedVersion, generation, bits, uses: 0 };
      if (views.length >= MAX_VIEWS) views.shift();
      views.push(view);
    } else {
      view.version = allowedVersion;
      view.generation = generation;
      view.bits = bits;
      view.uses = 0;
    }
    return view;
  }
}
