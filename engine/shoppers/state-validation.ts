import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { EVENT_TYPES, IdSchema, isInteractionType, TIERS, type EventType, type Tier } from '../contracts/schemas.js';
import { isId } from '../contracts/field-schemas.js';
import type { InteractionUpdate } from '../recommend/interaction-stats.js';
import { AFFINITY_LIMIT, CART_LIMIT, type Affinity, type UserStateChange, type UserStateStoreOptions } from './user-state-store.js';

/**
 * Argument checks of the state ports, shared by the Redis adapters and their in-memory fakes so
 * both reject the same input with the same PulseError('invalid_request') before writing anything.
 */

/** How long an applied event or key is remembered for dedupe, in whole seconds. */
export function checkDedupeTtl(dedupeTtlSeconds: number): number {
  if (!Number.isInteger(dedupeTtlSeconds) || dedupeTtlSeconds < 1) {
    throw invalid(`dedupeTtlSeconds must be a positive integer, got ${dedupeTtlSeconds}`);
  }
  return dedupeTtlSeconds;
}

// ---- UserStateStore ----

export function checkUserStateStoreOptions(options: UserStateStoreOptions): UserStateStoreOptions {
  const { recentLimit, dedupeTtlSeconds } = options;
  if (!Number.isInteger(recentLimit) || recentLimit < 1) throw invalid(`recentLimit must be a positive integer, got ${recentLimit}`);
  return { recentLimit, dedupeTtlSeconds: checkDedupeTtl(dedupeTtlSeconds) };
}

/** User ids end up inside a hash tag: they must be ids as the wire defines them (no braces). */
export function checkUserId(userId: string): string {
  // isId first (~0.1 us; the schema's safeParse ~1 us and a result object, twice per user and batch).
  if (!isId(userId) && !IdSchema.safeParse(userId).success) throw invalid(`invalid userId "${String(userId)}"`);
  return userId;
}

export function checkEventId(eventId: string): string {
  if (typeof eventId !== 'string' || eventId.length < 1 || eventId.length > 512) throw invalid('eventId must be 1 to 512 characters');
  return eventId;
}

/** Rejects a malformed change before anything is written. */
export function checkUserStateChange(change: UserStateChange): void {
  checkEventId(change.eventId);
  if (!Number.isSafeInteger(change.expectedVersion) || change.expectedVersion < 0) {
    throw invalid(`expectedVersion must be a non-negative integer, got ${change.expectedVersion}`);
  }
  if (change.type !== 'merge' && change.type !== 'order' && !isEventType(change.type))
    throw invalid(`unknown event type "${String(change.type)}"`);
  if (change.vector !== undefined) {
    if (!(change.vector instanceof Float32Array) || change.vector.length === 0) throw invalid('vector must be a non-empty Float32Array');
    // A loop, not vector.every(Number.isFinite): that boxes every float for the callback (~1 KB
    // of garbage per 64-dim vector, measured with an allocation profile of pipeline-micro).
    const vector = change.vector;
    for (let i = 0; i < vector.length; i++) if (!Number.isFinite(vector[i]!)) throw invalid('vector holds a non-finite value');
  }
  if (change.vectorVersion !== undefined) {
    if (change.vector === undefined) throw invalid('vectorVersion is stored with a vector: give both or neither');
    if (typeof change.vectorVersion !== 'string' || change.vectorVersion.length < 1 || change.vectorVersion.length > 200) {
      throw invalid('vectorVersion must be 1 to 200 characters');
    }
  }
  if (!Number.isFinite(change.strength)) throw invalid(`strength must be finite, got ${change.strength}`);
  if (!Number.isFinite(change.updatedAt) || change.updatedAt < 0) throw invalid(`updatedAt must be epoch ms, got ${change.updatedAt}`);
  // Indexed loops: for..of allocates an iterator result per entry wherever it is not optimised away
  // (~0.25 KB of garbage per event, allocation profile of pipeline-micro). ~0.05 us per entry.
  const { recent, bought } = change;
  for (let i = 0; i < recent.length; i++) {
    const entry = recent[i]!;
    if (typeof entry.itemId !== 'string' || entry.itemId.length === 0) throw invalid('recent entry without itemId');
    if (!isInteractionType(entry.type)) throw invalid(`recent entry with unknown type "${String(entry.type)}"`);
    if (!Number.isSafeInteger(entry.ts) || entry.ts < 0) throw invalid(`recent entry ts must be integer epoch ms, got ${entry.ts}`);
  }
  for (let i = 0; i < bought.length; i++) {
    const itemId = bought[i];
    if (typeof itemId !== 'string' || itemId.length === 0) throw invalid('bought item id must be a non-empty string');
  }
  if (change.tier !== undefined && !isTier(change.tier)) throw invalid(`unknown tier "${String(change.tier)}"`);
  if (change.affinity !== undefined) checkAffinity(change.affinity);
  if (change.cart !== undefined) {
    if (!(change.cart instanceof Map) || change.cart.size > CART_LIMIT) throw invalid(`cart must be a Map of at most ${CART_LIMIT} lines`);
    // forEach with a module-level callback: no [itemId, quantity] array per line.
    change.cart.forEach(checkCartLine);
  }
  if (change.purchases !== undefined) {
    const { orders, spend, firstPurchaseAt, lastPurchaseAt } = change.purchases;
    if (!Number.isSafeInteger(orders) || orders < 0) throw invalid(`purchases.orders must be an integer >= 0, got ${orders}`);
    if (!Number.isFinite(spend)) throw invalid(`purchases.spend must be finite, got ${spend}`);
    checkEpochMs('purchases.firstPurchaseAt', firstPurchaseAt);
    checkEpochMs('purchases.lastPurchaseAt', lastPurchaseAt);
  }
  if (change.firstSeenAt !== undefined) checkEpochMs('firstSeenAt', change.firstSeenAt);
}

/** Which affinity map is checked: the `this` of checkAffinityEntry (constants, so no closure per map and event). */
interface AffinityMapCheck {
  name: string;
  counts: boolean;
}
const CATEGORIES_CHECK: AffinityMapCheck = { name: 'categories', counts: false };
const BRANDS_CHECK: AffinityMapCheck = { name: 'brands', counts: false };
const BRAND_EVENTS_CHECK: AffinityMapCheck = { name: 'brandEvents', counts: true };

function checkAffinity(affinity: Affinity): void {
  if (!Number.isFinite(affinity.landmark) || affinity.landmark < 0)
    throw invalid(`affinity.landmark must be epoch ms, got ${affinity.landmark}`);
  checkAffinityMap(CATEGORIES_CHECK, affinity.categories);
  checkAffinityMap(BRANDS_CHECK, affinity.brands);
  checkAffinityMap(BRAND_EVENTS_CHECK, affinity.brandEvents);
}

/**
 * One affinity map: at most AFFINITY_LIMIT entries, keys as checkKey wants them, finite values
 * (event counts: integers >= 0). Every event stores its affinity, so messages are built only on
 * failure. Cost: one pass over the map (~0.02 us per entry), no allocation.
 */
function checkAffinityMap(check: AffinityMapCheck, scores: Map<string, number>): void {
  if (!(scores instanceof Map) || scores.size > AFFINITY_LIMIT)
    throw invalid(`affinity.${check.name} must be a Map of at most ${AFFINITY_LIMIT} entries`);
  // forEach: no [key, value] array per entry (for..of allocates one: ~0.6 KB per event); a
  // module-level callback with the check as `this`: no closure per map (~0.1 KB per event).
  scores.forEach(checkAffinityEntry, check);
}

function checkAffinityEntry(this: AffinityMapCheck, value: number, key: string): void {
  if (!isKey(key)) checkKey(`affinity.${this.name} key`, key);
  if (!Number.isFinite(value)) throw invalid(`affinity.${this.name} value of "${key}" must be finite`);
  if (this.counts && (!Number.isSafeInteger(value) || value < 0))
    throw invalid(`event count of brand "${key}" must be an integer >= 0, got ${value}`);
}

function checkCartLine(quantity: number, itemId: string): void {
  checkKey('cart item id', itemId);
  if (!Number.isSafeInteger(quantity) || quantity < 1)
    throw invalid(`cart quantity of "${itemId}" must be a positive integer, got ${quantity}`);
}

function checkKey(what: string, key: string): void {
  if (!isKey(key)) throw invalid(`${what} must be 1 to 512 characters`);
}

function isKey(key: string): boolean {
  return typeof key === 'string' && key.length >= 1 && key.length <= 512;
}

function checkEpochMs(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${what} must be integer epoch ms (0 = none), got ${value}`);
}

export function isEventType(value: unknown): value is EventType {
  return (EVENT_TYPES as readonly unknown[]).includes(value);
}

export function isTier(value: unknown): value is Tier {
  return (TIERS as readonly unknown[]).includes(value);
}

// ---- InteractionStats ----

export function checkHalfLife(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) throw invalid(`popularityHalfLifeSeconds must be a positive number, got ${seconds}`);
  return seconds;
}

export function checkMaxNeighbours(value: number): number {
  if (!Number.isInteger(value) || value < 1) throw invalid(`maxNeighbours must be a positive integer, got ${value}`);
  return value;
}

export function checkEventKey(eventKey: string): void {
  if (typeof eventKey !== 'string' || eventKey.length < 1 || eventKey.length > 512) throw invalid('eventKey must be 1 to 512 characters');
}

export function checkItemId(itemId: string): void {
  if (typeof itemId !== 'string' || itemId.length < 1 || itemId.length > 512) throw invalid('itemId must be 1 to 512 characters');
}

export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 0 || limit > 10_000) throw invalid(`limit must be an integer in [0, 10000], got ${limit}`);
}

/** Rejects a malformed update before anything is written. */
export function checkInteractionUpdate(update: InteractionUpdate): void {
  if (!Number.isFinite(update.ts) || update.ts <= 0) throw invalid(`ts must be epoch ms, got ${update.ts}`);
  for (const [itemId, weight] of update.items) {
    checkItemId(itemId);
    if (!Number.isFinite(weight)) throw invalid(`popularity weight of "${itemId}" must be finite`);
  }
  checkPairs('co-visitation', update.pairs);
  if (update.coPurchases !== undefined) checkPairs('co-purchase', update.coPurchases);
  if (update.boughtAfter !== undefined) checkPairs('bought-after', update.boughtAfter);
}

function checkPairs(what: string, pairs: InteractionUpdate['pairs']): void {
  if (!Array.isArray(pairs)) throw invalid(`${what} pairs must be a list`);
  for (const [a, b, weight] of pairs) {
    checkItemId(a);
    checkItemId(b);
    if (!Number.isFinite(weight)) throw invalid(`${what} weight of "${a}"/"${b}" must be finite`);
  }
}

// ---- PartitionLeases ----

export function checkLeaseArgs(partition: number, ownerId: string, ttlMs: number): void {
  checkPartition(partition);
  checkOwnerId(ownerId);
  checkTtl(ttlMs);
}

export function checkPartition(partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition > 1_000_000)
    throw invalid(`partition must be a non-negative integer, got ${partition}`);
}

export function checkOwnerId(ownerId: string): void {
  if (typeof ownerId !== 'string' || ownerId.length < 1 || ownerId.length > 256) throw invalid('ownerId must be 1 to 256 characters');
}

export function checkTtl(ttlMs: number): void {
  // PX rejects 0 and fractions; a day caps mistakes like passing seconds * 1000 twice
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > 86_400_000) throw invalid(`ttlMs must be an integer in [1, 86400000], got ${ttlMs}`);
}

// ---- MemberStore ----

/** A member scan's page size, 1..10000 (the ledger's limits are logic/points.ts checkLedgerPage). */
export function checkScanCount(count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw invalid(`count must be an integer in 1..10000, got ${count}`);
  return count;
}

function invalid(message: string): PulseError {
  return new PulseError(ErrorCodes.invalidRequest, message);
}
