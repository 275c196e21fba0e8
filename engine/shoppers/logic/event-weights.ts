import type { InteractionType } from '../../contracts/schemas.js';

/**
 * How much one event of each type says about a shopper's taste and about an item's appeal.
 * Pure data; the tables are frozen so a caller cannot retune them by accident.
 *
 * Taste (user-vector fold-in, see user-vector.ts). The scale is "views": a view is 1.
 * - `click` and `search` (1.5): a deliberate step beyond glancing at a tile.
 * - `add_to_cart` (3): intent to buy; stronger than browsing, weaker than paying.
 * - `like` (4): an explicit statement of taste, the clearest signal short of a purchase.
 * - `purchase` (5): money spent is the strongest evidence of taste.
 * - `remove_from_cart` (-1): a mild "not this after all"; often just a change of size or colour.
 * - `dislike` (-3): an explicit "not for me"; pushes the vector away from the item.
 * Negative weights move the vector away but never add strength (see foldIn).
 *
 * An `impression` (cards shown) has no weight at all: it is no interaction, so it has no entry
 * here and never reaches a fold (event-effect.ts `impressionEffect`).
 *
 * Popularity (shop-wide, time-decayed): never negative, because popularity scores are read as
 * "share of the best item" in (0, 1]; one shopper's dislike should not make an item less popular
 * for everyone else. Searches count little: the item was found, not chosen.
 */
export const tasteWeight: Readonly<Record<InteractionType, number>> = Object.freeze({
  view: 1,
  click: 1.5,
  search: 1.5,
  add_to_cart: 3,
  like: 4,
  purchase: 5,
  remove_from_cart: -1,
  dislike: -3,
});

/** Increment of an item's popularity per event (>= 0); see {@link tasteWeight} for the reasoning. */
export const popularityWeight: Readonly<Record<InteractionType, number>> = Object.freeze({
  view: 1,
  click: 1.5,
  search: 0.5,
  add_to_cart: 3,
  like: 3,
  purchase: 5,
  remove_from_cart: 0,
  dislike: 0,
});

/** Both weights of one event type. */
export function eventWeights(type: InteractionType): { taste: number; popularity: number } {
  return { taste: tasteWeight[type], popularity: popularityWeight[type] };
}
