/**
 * The order of a growing list of distinct ids (slot -> id string) as small integers: `rank[slot]`
 * for slots < `ranked` orders those slots exactly as their ids compare with `<`, so ties of one
 * score can be sorted by id without comparing strings (best-first.ts). New slots (>= ranked) are
 * ranked by a `refresh` that finds them at least an eighth of the ranked ones, or after ranked / 16
 * calls found some waiting: until then a tie holding one is sorted by its strings. Pure, in memory.
 *
 * Cost: `refresh` O(1) when nothing is due; else O(k log k + k log n) string comparisons for the
 * k new slots and O(n) integer moves, so amortised O(log n) comparisons and O(1) moves per new
 * slot or per call. Memory: 8 B per slot.
 */
export class IdRanks {
  /** Rank by slot, for slots < ranked. */
  rank = new Int32Array(64);
  /** Slots < ranked have a rank. */
  ranked = 0;
  /** The ranked slots in id order (rank r is bySlot[r]'s). */
  private bySlot = new Int32Array(64);
  /** Calls since slots were found waiting for a rank. */
  private waited = 0;

  /** Ranks the slots of `names` (slot -> id, ids distinct) not ranked yet, when it is due. */
  refresh(names: readonly string[]): void {
    const total = names.length;
    const old = this.ranked;
    if (total === old || (8 * (total - old) < old && ++this.waited < old / 16)) return;
    this.waited = 0;
    if (this.rank.length < total) {
      const size = Math.max(total, 2 * this.rank.length);
      const rank = new Int32Array(size);
      const bySlot = new Int32Array(size);
      rank.set(this.rank.subarray(0, old));
      bySlot.set(this.bySlot.subarray(0, old));
      this.rank = rank;
      this.bySlot = bySlot;
    }
    const fresh = Array.from({ length: total - old }, (_, i) => old + i).sort((a, b) => (names[a]! < names[b]! ? -1 : 1));
    const { rank, bySlot } = this;
    // Merged from the back in place: old ranked slots [0, kept) have not moved, [written, total) are final.
    let kept = old;
    let written = total;
    for (let j = fresh.length - 1; j >= 0; j--) {
      const slot = fresh[j]!;
      const id = names[slot]!;
      // The first of the unmoved old slots whose id is above this one.
      let low = 0;
      let high = kept;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (names[bySlot[middle]!]! < id) low = middle + 1;
        else high = middle;
      }
      while (kept > low) bySlot[--written] = bySlot[--kept]!;
      bySlot[--written] = slot;
    }
    // Ranks below the first new slot's are unchanged.
    for (let r = kept; r < total; r++) rank[bySlot[r]!] = r;
    this.ranked = total;
  }

  /** The slot of rank r (r < ranked). */
  slotAt(r: number): number {
    return this.bySlot[r]!;
  }
}
