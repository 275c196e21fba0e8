import type { StoredEvent } from '../../contracts/schemas.js';
import type { InteractionUpdate } from '../interaction-stats.js';
import type { RecentInteraction, UserState } from '../../shoppers/user-state-store.js';
import type { Candidate, CandidateSources } from './candidate.js';

/**
 * Complements and substitutes (pure). Two items are *substitutes* when a shopper picks one of
 * them: they are alike (near in the vector space, of one leaf category) or viewed in one session
 * without being bought together. They are *complements* when one goes with the other: bought in
 * one purchase (co-purchase) or one after the other by the same shopper (bought-after, directed:
 * earlier -> later). Co-visitation mixes both; the purchase relations keep only the second.
 *
 * What an event adds (purchaseRelations), which of the shopper's purchases seed complement
 * candidates (complementSeeds, afterPurchase), how one seed's two lists make one (complementList)
 * and how the seeds' lists become the candidates' `complement` (mergeComplements) are here;
 * engine/recommend/complement-lists.ts reads the lists and holds substitutes back.
 */

/** Default window in which a later purchase counts as bought after an earlier one: 30 days (s). */
export const DEFAULT_BOUGHT_AFTER_WINDOW_SECONDS = 30 * 24 * 3600;
/** Earlier bought items (the newest distinct ones) that a purchase's new lines pair with. */
export const BOUGHT_AFTER_SOURCES = 10;

export type PurchaseRelations = Required<Pick<InteractionUpdate, 'coPurchases' | 'boughtAfter'>>;

/**
 * The co-purchase and bought-after increments of one purchase, `lines` its distinct bought items
 * (positive quantities, already capped by the caller). Co-purchase: every pair of lines, each
 * weighing 1/sqrt(lines - 1) (a big order says less about any one pair). Bought-after: each line
 * the shopper had never bought before (`state.bought`: a re-order says nothing new) after each of
 * the newest BOUGHT_AFTER_SOURCES distinct items of earlier purchases in `state.recent` at most
 * `windowSeconds` older than the event, each pair weighing 1/sqrt(earlier x later). Empty for
 * anything but a purchase.
 */
export function purchaseRelations(
  state: Pick<UserState, 'recent' | 'bought'>,
  event: StoredEvent,
  lines: readonly string[],
  windowSeconds: number,
): PurchaseRelations {
  const relations: PurchaseRelations = { coPurchases: [], boughtAfter: [] };
  if (event.type !== 'purchase' || lines.length === 0) return relations;
  const pairWeight = 1 / Math.sqrt(Math.max(1, lines.length - 1));
  for (let i = 0; i < lines.length; i++) {
    for (let j = i + 1; j < lines.length; j++) relations.coPurchases.push([lines[i]!, lines[j]!, pairWeight]);
  }
  const later = lines.filter((itemId) => !state.bought.has(itemId));
  const earlier = earlierPurchases(state.recent, event.ts, windowSeconds);
  if (later.length === 0 || earlier.length === 0) return relations;
  const weight = 1 / Math.sqrt(earlier.length * later.length);
  for (const from of earlier) for (const to of later) if (from !== to) relations.boughtAfter.push([from, to, weight]);
  return relations;
}

/** Distinct items of purchases in `recent` within `windowSeconds` before `ts`, newest first. */
function earlierPurchases(recent: readonly RecentInteraction[], ts: number, windowSeconds: number): string[] {
  const since = ts - windowSeconds * 1000;
  const out: string[] = [];
  for (const entry of recent) {
    if (out.length >= BOUGHT_AFTER_SOURCES) break;
    if (entry.type !== 'purchase' || entry.ts > ts || entry.ts < since) continue;
    if (!out.includes(entry.itemId)) out.push(entry.itemId);
  }
  return out;
}

export interface ComplementSeedOptions {
  /**
   * `session`: only right after a purchase (see afterPurchase), its items; `history`: the items of
   * the newest purchases of any age (a returning buyer's last orders still say what goes with them).
   */
  scope: 'session' | 'history';
  /** Largest number of seeds. */
  maxSeeds: number;
  /** The session window (s). */
  sessionGapSeconds: number;
}

/** A bought item whose complements become candidates; `weight` 1 for the newest purchase, half for each older one. */
export interface ComplementSeed {
  itemId: string;
  weight: number;
}

/**
 * Whether the shopper has just bought: the newest recent interaction is a purchase at most
 * `sessionGapSeconds` before `now`. Returns the items of that purchase and of the purchases right
 * before it within the same window (newest first), or undefined.
 */
export function afterPurchase(recent: readonly RecentInteraction[], now: number, sessionGapSeconds: number): string[] | undefined {
  const since = now - sessionGapSeconds * 1000;
  const items: string[] = [];
  for (const entry of recent) {
    if (entry.type !== 'purchase' || entry.ts < since || entry.ts > now) break;
    if (!items.includes(entry.itemId)) items.push(entry.itemId);
  }
  return items.length > 0 ? items : undefined;
}

/** The bought items whose complements join the list, newest purchase first (see ComplementSeedOptions). */
export function complementSeeds(recent: readonly RecentInteraction[], now: number, options: ComplementSeedOptions): ComplementSeed[] {
  if (options.maxSeeds <= 0) return [];
  if (options.scope === 'session') {
    return (afterPurchase(recent, now, options.sessionGapSeconds) ?? [])
      .slice(0, options.maxSeeds)
      .map((itemId) => ({ itemId, weight: 1 }));
  }
  const seeds: ComplementSeed[] = [];
  let weight = 2;
  let previous: RecentInteraction | undefined;
  for (const entry of recent) {
    if (seeds.length >= options.maxSeeds) break;
    if (entry.type !== 'purchase' || entry.ts > now) continue;
    // The lines of one event sit next to each other with its type and time (see RecentInteraction).
    if (!previous || previous.ts !== entry.ts) weight /= 2;
    previous = entry;
    if (!seeds.some((seed) => seed.itemId === entry.itemId)) seeds.push({ itemId: entry.itemId, weight });
  }
  return seeds;
}

/**
 * One seed's complement scores from its co-purchase and bought-after lists (raw, best first):
 * each list divided by its own best, then added up, so an item in both rises. Best first, ties by
 * itemId.
 */
export function complementList(
  coPurchased: ReadonlyArray<readonly [string, number]>,
  boughtAfter: ReadonlyArray<readonly [string, number]>,
): Array<[string, number]> {
  const scores = new Map<string, number>();
  for (const list of [coPurchased, boughtAfter])
    for (const [itemId, score] of dividedByBest(list)) scores.set(itemId, (scores.get(itemId) ?? 0) + score);
  return [...scores].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Candidate merging of the `complements` source (ranking.ts mergeCandidates): adds each complement
 * list (divided by its best, times its weight) to `complement`, then divides by the best sum; the
 * largest part names `complementOf`.
 */
export function mergeComplements(lists: NonNullable<CandidateSources['complements']>, entry: (itemId: string) => Candidate): void {
  const bestPart = new Map<string, number>();
  const touched = new Set<Candidate>();
  for (const { via, items, weight = 1 } of lists) {
    for (const [id, score] of dividedByBest(items)) {
      const value = score * weight;
      if (!(value > 0)) continue;
      const candidate = entry(id);
      candidate.complement = (candidate.complement ?? 0) + value;
      touched.add(candidate);
      if (value > (bestPart.get(id) ?? 0)) {
        bestPart.set(id, value);
        candidate.complementOf = via;
      }
    }
  }
  let best = 0;
  for (const candidate of touched) best = Math.max(best, candidate.complement ?? 0);
  if (best > 0) for (const candidate of touched) candidate.complement! /= best;
}

/** A raw list's positive, finite entries divided by its best score (none when nothing is positive). */
function dividedByBest(list: ReadonlyArray<readonly [string, number]>): Array<[string, number]> {
  let best = 0;
  for (const [, score] of list) if (Number.isFinite(score) && score > best) best = score;
  if (best === 0) return [];
  const out: Array<[string, number]> = [];
  for (const [itemId, score] of list) if (Number.isFinite(score) && score > 0) out.push([itemId, score / best]);
  return out;
}
