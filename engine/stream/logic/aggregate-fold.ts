import type { InteractionUpdate } from '../../recommend/interaction-stats.js';

/**
 * Folds the shop-wide aggregate updates of many events (one batch) into one update, so the
 * batch writes its popularity, co-visitation, co-purchase and bought-after increments in one
 * script call instead of one per event. Pure.
 *
 * Popularity is forward-decayed by event time: an increment w at time t is stored as
 * w * 2^((t - landmark) / halfLife). With the folded update's time `ref` (the batch's latest
 * time, clamped like the store clamps it), each event's weight is pre-scaled by
 * 2^((t - ref) / halfLife), so w' * 2^((ref - landmark) / halfLife) equals the per-event sum.
 * Pairs carry no time: equal pairs (in either order for the symmetric lists) add up.
 *
 * Cost: O(entries) Map work; a 256-event batch of views folds in ~50-100 us.
 */
export function foldInteractionUpdates(
  updates: readonly InteractionUpdate[],
  halfLifeMs: number,
  maxTs: number,
): InteractionUpdate | undefined {
  if (updates.length === 0) return undefined;
  let ref = 0;
  for (const update of updates) ref = Math.max(ref, Math.min(update.ts, maxTs));
  const items = new Map<string, number>();
  const pairs = new PairSums(true);
  const coPurchases = new PairSums(true);
  const boughtAfter = new PairSums(false);
  // Indexed loops and element reads, not for..of and destructuring: no iterator result per
  // update, item and pair where those are not optimised away. ~0.05 us per item.
  for (let u = 0; u < updates.length; u++) {
    const update = updates[u]!;
    const scale = 2 ** ((Math.min(update.ts, maxTs) - ref) / halfLifeMs);
    for (let i = 0; i < update.items.length; i++) {
      const item = update.items[i]!;
      items.set(item[0], (items.get(item[0]) ?? 0) + item[1] * scale);
    }
    pairs.addAll(update.pairs);
    if (update.coPurchases) coPurchases.addAll(update.coPurchases);
    if (update.boughtAfter) boughtAfter.addAll(update.boughtAfter);
  }
  const folded: InteractionUpdate = { items: [...items], pairs: pairs.list(), ts: ref };
  if (coPurchases.size > 0) folded.coPurchases = coPurchases.list();
  if (boughtAfter.size > 0) folded.boughtAfter = boughtAfter.list();
  return folded;
}

/** Sums of pair weights; symmetric pairs are keyed in sorted order. */
class PairSums {
  private readonly sums = new Map<string, [string, string, number]>();

  constructor(private readonly symmetric: boolean) {}

  get size(): number {
    return this.sums.size;
  }

  addAll(pairs: ReadonlyArray<readonly [string, string, number]>): void {
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i]!;
      const a = pair[0];
      const b = pair[1];
      const weight = pair[2];
      if (a === b) continue;
      // Two variables, not a destructured [first, second] (an array per pair).
      const swap = this.symmetric && b < a;
      const first = swap ? b : a;
      const second = swap ? a : b;
      // Ids hold no newline (IdSchema): the key is unambiguous.
      const key = `${first}\n${second}`;
      const sum = this.sums.get(key);
      if (sum) sum[2] += weight;
      else this.sums.set(key, [first, second, weight]);
    }
  }

  list(): Array<[string, string, number]> {
    return [...this.sums.values()];
  }
}
