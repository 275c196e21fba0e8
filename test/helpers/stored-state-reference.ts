import type { InteractionType } from '../../engine/contracts/schemas.js';
import { decodeAffinity, decodeCart, encodeRecent } from '../../engine/shoppers/adapters/redis-user-state-codec.js';
import { emptyShopperState, type ShopperState } from '../../engine/shoppers/logic/shopper-state.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import { isTier } from '../../engine/shoppers/state-validation.js';
import type { RecentInteraction, UserState } from '../../engine/shoppers/user-state-store.js';

/**
 * The stored-state decoding as it was before the allocation-free forms (redis-user-state-codec.ts
 * loadedState, decodeRecentList): filled empty states spread together, an array per recent entry.
 * The equivalence tests hold the new forms to these, key order included.
 */

const TYPES: InteractionType[] = ['view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase', 'search', 'like', 'dislike'];
const TYPES_BY_CODE = new Map(TYPES.map((type) => [encodeRecent({ type, ts: 0, itemId: 'x' }).split('|')[0]!, type]));

function numberOr(raw: string | undefined, fallback: number): number {
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) ? value : fallback;
}

/** One stored recent entry; a malformed one is dropped (an empty array). */
export function decodeRecent(encoded: string): RecentInteraction[] {
  const first = encoded.indexOf('|');
  const second = encoded.indexOf('|', first + 1);
  if (first < 0 || second < 0) return [];
  const type = TYPES_BY_CODE.get(encoded.slice(0, first));
  const ts = parseInt(encoded.slice(first + 1, second), 36);
  const itemId = encoded.slice(second + 1);
  if (!type || !Number.isFinite(ts) || itemId.length === 0) return [];
  return [{ itemId, type, ts }];
}

/** A UserState from the stored hash fields (missing ones take the empty state's values). */
export function stateFromStored(
  vector: Float32Array | null,
  st: Record<string, string>,
  recent: RecentInteraction[],
  bought: Iterable<string>,
): UserState {
  const state = emptyUserState();
  state.vector = vector;
  state.strength = numberOr(st.strength, 0);
  state.updatedAt = numberOr(st.updatedAt, 0);
  state.version = numberOr(st.version, 0);
  if (st.tier !== undefined && isTier(st.tier)) state.tier = st.tier;
  if (vector !== null && st.vectorVersion) state.vectorVersion = st.vectorVersion;
  for (const [field, value] of Object.entries(st)) {
    if (field.startsWith('c:')) state.counts[field.slice(2)] = numberOr(value, 0);
  }
  state.recent = recent;
  state.bought = new Set(bought);
  return state;
}

/** The shopper fields from `st` and the stored affinity and cart. */
export function shopperFromStored(st: Record<string, string>, affinity: string | null, cart: string | null): ShopperState {
  const shopper = emptyShopperState();
  shopper.affinity = decodeAffinity(affinity);
  shopper.cart = decodeCart(cart);
  shopper.purchases = {
    orders: numberOr(st.orders, 0),
    spend: numberOr(st.spend, 0),
    firstPurchaseAt: numberOr(st.firstPurchaseAt, 0),
    lastPurchaseAt: numberOr(st.lastPurchaseAt, 0),
  };
  shopper.firstSeenAt = numberOr(st.firstSeenAt, 0);
  return shopper;
}
