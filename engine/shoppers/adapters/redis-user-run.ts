import type { UserKeySet } from '../../platform/redis/redis-keys.js';
import { checkUserStateChange } from '../state-validation.js';
import type { ApplyOutcome, UserChange, UserStateChange, UserStateStoreOptions } from '../user-state-store.js';
import { encodeAffinity, encodeRecent, encodeVector } from './redis-user-state-codec.js';

/**
 * The keys and arguments of one apply-user-run call (see its Lua file) for the changes
 * `start`..`end` (exclusive) of one user, each computed on top of the one before: their combined
 * result, so each value is encoded, sent and written once, the last one given (a user's 4 events
 * of a batch: one vector, one affinity, one HSET, one LPUSH). Undefined when the changes' expected
 * versions are not consecutive (they cannot be combined). Client cost ~10 us per run plus ~2 us
 * per change (profile of `npx tsx scripts/bench/pipeline-micro.ts`).
 */
export function userRunCall(
  keys: UserKeySet,
  changes: readonly UserChange[],
  start: number,
  end: number,
  tag: string,
  options: UserStateStoreOptions,
): { keys: string[]; args: Array<string | number | Buffer> } | undefined {
  const runKeys = [keys.vec, keys.st, keys.recent, keys.bought, keys.affinity, keys.cart];
  const firstVersion = changes[start]!.change.expectedVersion;
  let vector: UserStateChange | undefined;
  let affinity: UserStateChange['affinity'];
  let cart: UserStateChange['cart'];
  let tier: string | undefined;
  let purchases: UserStateChange['purchases'];
  let firstSeenAt: number | undefined;
  // count field, increment, ... (a run holds a few types)
  const counts: Array<string | number> = [];
  const recent: string[] = [];
  const bought: string[] = [];
  for (let i = start; i < end; i++) {
    const { change } = changes[i]!;
    checkUserStateChange(change);
    if (change.expectedVersion !== firstVersion + (i - start)) return undefined;
    runKeys.push(keys.marker(change.eventId));
    if (change.vector) vector = change;
    if (change.affinity) affinity = change.affinity;
    if (change.cart) cart = change.cart;
    if (change.tier) tier = change.tier;
    if (change.purchases) purchases = change.purchases;
    if (change.firstSeenAt !== undefined) firstSeenAt = change.firstSeenAt;
    const field = `c:${change.type}`;
    const at = counts.indexOf(field);
    if (at >= 0) counts[at + 1] = (counts[at + 1] as number) + 1;
    else counts.push(field, 1);
    // newest first in the change: pushed oldest first
    for (let r = change.recent.length - 1; r >= 0; r--) recent.push(encodeRecent(change.recent[r]!));
    for (const itemId of change.bought) bought.push(itemId);
  }
  counts.push('c:total', end - start);
  const final = changes[end - 1]!.change;
  const fields: Array<string | number> = ['strength', String(final.strength), 'updatedAt', String(final.updatedAt)];
  if (tier) fields.push('tier', tier);
  if (purchases) {
    const { orders, spend, firstPurchaseAt, lastPurchaseAt } = purchases;
    fields.push('orders', orders, 'spend', String(spend), 'firstPurchaseAt', firstPurchaseAt, 'lastPurchaseAt', lastPurchaseAt);
  }
  if (firstSeenAt !== undefined) fields.push('firstSeenAt', firstSeenAt);
  const cartLines: Array<[string, number]> = [];
  cart?.forEach((quantity, itemId) => cartLines.push([itemId, quantity]));
  const args: Array<string | number | Buffer> = [
    end - start,
    firstVersion,
    options.dedupeTtlSeconds,
    options.recentLimit,
    tag,
    vector?.vector ? encodeVector(vector.vector) : '',
    vector?.vectorVersion ?? '',
    affinity ? encodeAffinity(affinity) : '',
    cart ? JSON.stringify(cartLines) : '',
    fields.length / 2,
    ...fields,
    counts.length / 2,
    ...counts,
    recent.length,
    ...recent,
    ...bought,
  ];
  return { keys: runKeys, args };
}

/**
 * The end (exclusive) of the run of changes from `start` that one apply-user-run (or
 * apply-user-events) call takes: consecutive changes of one user, up to one whose event id the run
 * holds already (a reused id: the script checks every marker before writing, so the second must
 * see the first's marker, as a call of its own in the same pipeline does).
 */
export function runEnd(changes: readonly UserChange[], start: number): number {
  const userId = changes[start]!.userId;
  let end = start + 1;
  while (end < changes.length && changes[end]!.userId === userId) {
    const eventId = changes[end]!.change.eventId;
    for (let i = start; i < end; i++) if (changes[i]!.change.eventId === eventId) return end;
    end++;
  }
  return end;
}

export function checkOutcomes(reply: unknown, count: number): ApplyOutcome[] {
  if (!Array.isArray(reply) || reply.length !== count) throw new Error(`applyUserEvents returned ${String(reply)}`);
  return reply.map(checkOutcome);
}

export function checkOutcome(outcome: unknown): ApplyOutcome {
  if (outcome !== 'applied' && outcome !== 'duplicate' && outcome !== 'conflict')
    throw new Error(`applyUserState returned ${String(outcome)}`);
  return outcome;
}
