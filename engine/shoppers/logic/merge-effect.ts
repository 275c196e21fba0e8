import type { StoredMergeEvent } from '../../contracts/schemas.js';
import type { RecentInteraction, UserState, UserStateChange } from '../user-state-store.js';
import { DEFAULT_AFFINITY_HALF_LIFE_SECONDS } from './affinity.js';
import { foldRecent, inSpaceOf, type VectorLookup } from './event-effect.js';
import { applyShopperChange, shopperMerge } from './shopper-state.js';

export interface MergeOptions {
  /** Half-life of the user's past taste, seconds. */
  tasteHalfLifeSeconds: number;
  recentLimit: number;
  /** Half-life of brand and category affinity, seconds; default 14 days (AFFINITY_HALF_LIFE_SECONDS). */
  affinityHalfLifeSeconds?: number;
}

export interface MergeEffect {
  change: UserStateChange;
  /** The member's state once `change` is applied. */
  next: UserState;
}

/**
 * What merging a visitor's history into a member does to the member's state, as one change
 * (applied atomically and deduped by the merge event's id). Pure.
 *
 * The visitor's recent interactions are folded into the member's taste oldest first, one event's
 * lines together, with the same weights, basket sharing and time decay as live events (an
 * interaction older than the member's last one decays nothing: see user-vector.ts). They go on
 * top of the member's recent list (the visitor's session is what came just before the login), and
 * the visitor's purchases join the member's bought set. The visitor's affinity, cart and purchase
 * aggregates fold into the member's (shopper-state.ts `shopperMerge`). The visitor's own state is
 * left as it is.
 */
export function mergeEffect(
  memberLoaded: UserState,
  visitorLoaded: UserState,
  event: StoredMergeEvent,
  vectors: VectorLookup,
  options: MergeOptions,
): MergeEffect {
  const member = inSpaceOf(memberLoaded, vectors, options.tasteHalfLifeSeconds);
  const stale = member !== memberLoaded;
  const recent = visitorLoaded.recent;
  const { taste, moved } = foldRecent(
    { vector: member.vector, strength: member.strength, updatedAt: member.updatedAt },
    recent,
    vectors,
    options.tasteHalfLifeSeconds,
  );

  const added: RecentInteraction[] = recent.slice(0, options.recentLimit).map((entry) => ({ ...entry }));
  const bought = [...visitorLoaded.bought].filter((itemId) => !member.bought.has(itemId));
  const vector = moved || stale ? (taste.vector ?? undefined) : undefined;
  const shopper = shopperMerge(member, visitorLoaded, options.affinityHalfLifeSeconds ?? DEFAULT_AFFINITY_HALF_LIFE_SECONDS);
  const change: UserStateChange = {
    eventId: event.id,
    expectedVersion: member.version,
    type: 'merge',
    ...(vector ? { vector } : {}),
    ...(vector && vectors.version !== undefined ? { vectorVersion: vectors.version } : {}),
    strength: taste.strength,
    updatedAt: Math.max(member.updatedAt, taste.updatedAt, visitorLoaded.updatedAt),
    recent: added,
    bought,
    ...shopper,
  };
  const next: UserState = {
    ...member,
    ...applyShopperChange(member, shopper),
    vector: change.vector ?? member.vector,
    strength: change.strength,
    updatedAt: change.updatedAt,
    version: member.version + 1,
    recent: added.concat(member.recent).slice(0, options.recentLimit),
    bought: bought.length > 0 ? new Set([...member.bought, ...bought]) : member.bought,
    counts: { ...member.counts, merge: (member.counts.merge ?? 0) + 1, total: (member.counts.total ?? 0) + 1 },
  };
  if (change.vectorVersion !== undefined) next.vectorVersion = change.vectorVersion;
  return { change, next };
}
